//! The driver's TLS hook (`postgres::tls`): one connector type whatever does the handshake, so the blocking
//! client, `tokio-postgres` and the pools built on it take the same value. The backends (`with_openssl.rs`,
//! `with_rustls.rs`) make the sessions; this file only dispatches to them.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::with_openssl;
#[cfg(feature = "rustls")]
use super::with_rustls;

/// Makes the TLS session of each connection. Cloning shares the backend's context.
#[derive(Clone)]
pub struct TlsConnector(pub(super) Backend);

#[derive(Clone)]
pub(super) enum Backend {
    /// `sslmode=disable`: the driver then never asks for TLS.
    Disabled,
    OpenSsl(with_openssl::Connector),
    #[cfg(feature = "rustls")]
    Rustls(with_rustls::Connector),
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = match &self.0 {
            Backend::Disabled => "none",
            Backend::OpenSsl(_) => "openssl",
            #[cfg(feature = "rustls")]
            Backend::Rustls(_) => "rustls",
        };
        f.debug_struct("TlsConnector")
            .field("tls", &backend)
            .finish()
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
        Ok(match &self.0 {
            Backend::Disabled => Handshake(HandshakeWith::Disabled),
            Backend::OpenSsl(c) => Handshake(HandshakeWith::OpenSsl(c.handshake(domain)?)),
            #[cfg(feature = "rustls")]
            Backend::Rustls(c) => Handshake(HandshakeWith::Rustls(c.handshake(domain))),
        })
    }
}

/// The TLS handshake of one connection.
pub struct Handshake(HandshakeWith);

enum HandshakeWith {
    Disabled,
    OpenSsl(with_openssl::Handshake),
    #[cfg(feature = "rustls")]
    Rustls(with_rustls::Handshake),
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
            Ok(TlsStream(match self.0 {
                HandshakeWith::Disabled => return Err("TLS is disabled (sslmode=disable)".into()),
                HandshakeWith::OpenSsl(h) => StreamWith::OpenSsl(h.connect(stream).await?),
                #[cfg(feature = "rustls")]
                HandshakeWith::Rustls(h) => StreamWith::Rustls(h.connect(stream).await?),
            }))
        })
    }
}

/// A connection's encrypted stream.
pub struct TlsStream<S>(StreamWith<S>);

// One per connection, for its life: boxing rustls's kilobyte of state would put an indirection into every
// read and write instead.
#[allow(clippy::large_enum_variant)]
enum StreamWith<S> {
    OpenSsl(with_openssl::Stream<S>),
    #[cfg(feature = "rustls")]
    Rustls(with_rustls::Stream<S>),
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().0 {
            StreamWith::OpenSsl(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "rustls")]
            StreamWith::Rustls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().0 {
            StreamWith::OpenSsl(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "rustls")]
            StreamWith::Rustls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().0 {
            StreamWith::OpenSsl(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "rustls")]
            StreamWith::Rustls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().0 {
            StreamWith::OpenSsl(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "rustls")]
            StreamWith::Rustls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> postgres::tls::TlsStream for TlsStream<S> {
    /// SCRAM-SHA-256-PLUS binds the login to this TLS session through the hash of the server's
    /// certificate (`tls-server-end-point`), so a man in the middle cannot relay the password exchange.
    fn channel_binding(&self) -> ChannelBinding {
        let hash = match &self.0 {
            StreamWith::OpenSsl(s) => with_openssl::stream_end_point(s),
            #[cfg(feature = "rustls")]
            StreamWith::Rustls(s) => with_rustls::stream_end_point(s),
        };
        match hash {
            Some(hash) => ChannelBinding::tls_server_end_point(hash),
            None => ChannelBinding::none(),
        }
    }
}
