//! The driver's TLS hook (`postgres::tls`): one connector type, so the blocking client, `tokio-postgres`
//! and the pools built on it take the same value.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect};
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Makes the TLS session of each connection. Cloning shares the client configuration.
#[derive(Clone)]
pub struct TlsConnector(Option<Arc<ClientConfig>>);

impl TlsConnector {
    /// `sslmode=disable`: the driver then never asks for TLS.
    pub(crate) fn disabled() -> TlsConnector {
        TlsConnector(None)
    }

    pub(super) fn new(config: ClientConfig) -> TlsConnector {
        TlsConnector(Some(Arc::new(config)))
    }
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tls = if self.0.is_some() { "rustls" } else { "none" };
        f.debug_struct("TlsConnector").field("tls", &tls).finish()
    }
}

impl<S> MakeTlsConnect<S> for TlsConnector
where
    S: AsyncRead + AsyncWrite + Unpin + fmt::Debug + Send + Sync + 'static,
{
    type Stream = TlsStream<S>;
    type TlsConnect = Handshake;
    type Error = Box<dyn Error + Send + Sync>;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Handshake, Self::Error> {
        // The driver asks for this before it knows whether TLS is wanted, also with sslmode=disable.
        // rustls sends SNI for a DNS name and none for an address (libpq sends none for an address either).
        // It needs a name of one kind or the other; a host it does not take for a DNS name (non-ASCII, an
        // over-long label, ...) is given an address, so no SNI, where libpq would send the host as it is.
        let name = ServerName::try_from(domain.to_owned())
            .unwrap_or(ServerName::IpAddress(Ipv4Addr::UNSPECIFIED.into()));
        Ok(Handshake {
            config: self.0.clone(),
            name,
        })
    }
}

/// The TLS handshake of one connection.
pub struct Handshake {
    config: Option<Arc<ClientConfig>>,
    name: ServerName<'static>,
}

impl<S> TlsConnect<S> for Handshake
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = TlsStream<S>;
    type Error = Box<dyn Error + Send + Sync>;
    type Future = Pin<Box<dyn Future<Output = Result<TlsStream<S>, Self::Error>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let config = self.config.ok_or("TLS is disabled (sslmode=disable)")?;
            let connector = tokio_rustls::TlsConnector::from(config);
            Ok(TlsStream(connector.connect(self.name, stream).await?))
        })
    }
}

/// A connection's encrypted stream.
pub struct TlsStream<S>(pub(super) tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> postgres::tls::TlsStream for TlsStream<S> {
    /// SCRAM-SHA-256-PLUS binds the login to this TLS session through the hash of the server's
    /// certificate (`tls-server-end-point`), so a man in the middle cannot relay the password exchange.
    fn channel_binding(&self) -> ChannelBinding {
        let certificate = self
            .0
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first());
        match certificate.and_then(|c| super::verifier::server_end_point(c)) {
            Some(hash) => ChannelBinding::tls_server_end_point(hash),
            None => ChannelBinding::none(),
        }
    }
}
