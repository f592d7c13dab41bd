//! Statements sent together as one simple-query message, for what a backfill does once per batch: each
//! round trip waits for the server to answer (and, on a loaded machine, for the scheduler to run both
//! ends), which one `UPDATE` of the same rows pays once and a walk of a thousand batches a thousand times
//! per statement. Values go into the text as literals (quoted by [`migrate_dsl::literal`]), planned as the
//! extended protocol's unnamed statements are: with the values known.
//!
//! A message that opens a transaction (`BEGIN; ...`) and fails part-way leaves that transaction open and
//! aborted (the server skips the rest of the message): [`send`] rolls it back, so the session is never left
//! inside one, and says whether it was open, which tells a failed `COMMIT` (it ends its transaction) from
//! a statement before it.

use postgres::{Client, SimpleQueryMessage, SimpleQueryRow};

/// A key (text per column, as a cursor records it) as a `text[]` expression; `NULL::text[]` for none.
pub(crate) fn text_array(key: Option<&[String]>) -> String {
    match key {
        None => "NULL::text[]".to_owned(),
        Some(values) => format!(
            "ARRAY[{}]::text[]",
            values
                .iter()
                .map(|v| migrate_dsl::literal(v))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A key read as JSON (`pg_catalog.array_to_json(key)::text`: the simple-query protocol gives values as
/// text, and JSON's is unambiguous to parse); `None` for NULL or what is not an array of strings.
pub(crate) fn key_of_json(text: Option<&str>) -> Option<Vec<String>> {
    text.and_then(|t| serde_json::from_str(t).ok())
}

/// What a message's statements returned, in statement order.
pub(crate) struct Sent(Vec<SimpleQueryMessage>);

impl Sent {
    /// The rows each statement affected or returned (its command tag's count), in statement order.
    pub(crate) fn counts(&self) -> Vec<u64> {
        self.0
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::CommandComplete(n) => Some(*n),
                _ => None,
            })
            .collect()
    }

    /// The rows the statements returned, each with the index of its statement.
    pub(crate) fn rows(&self) -> Vec<(usize, &SimpleQueryRow)> {
        let mut statement = 0;
        let mut rows = Vec::new();
        for message in &self.0 {
            match message {
                SimpleQueryMessage::Row(row) => rows.push((statement, row)),
                SimpleQueryMessage::CommandComplete(_) => statement += 1,
                _ => {}
            }
        }
        rows
    }
}

/// A message that failed: the error, and whether the failing statement's transaction was still open
/// (aborted; rolled back by [`send`]). In a message that ends with `COMMIT`, a closed one means the
/// `COMMIT` itself failed.
#[derive(Debug)]
pub(crate) struct Failed {
    pub(crate) error: postgres::Error,
    pub(crate) open: bool,
}

/// Sends `sql` (statements separated by `;`) as one message. On failure, the transaction it left open, if
/// any, is rolled back.
pub(crate) fn send(conn: &mut Client, sql: &str) -> Result<Sent, Failed> {
    match conn.simple_query(sql) {
        Ok(messages) => Ok(Sent(messages)),
        Err(error) => {
            // Any statement in an aborted transaction fails (25P02); outside one this answers. A cancel
            // meant for the message that lands here instead fails it too: rolled back all the same.
            let open = conn.simple_query("SELECT 1").is_err();
            if open {
                // Fails only with the connection, which the caller learns from `error` already.
                let _ = conn.batch_execute("ROLLBACK");
            }
            Err(Failed { error, open })
        }
    }
}

/// Sends `sql`, which starts with `BEGIN`, as one message, and keeps its transaction open for the caller
/// to end with its own last statements and `COMMIT` ([`Open::commit_with`]), a second message. Dropped
/// without that, the transaction is rolled back.
pub(crate) fn begin<'c>(conn: &'c mut Client, sql: &str) -> Result<(Open<'c>, Sent), Failed> {
    let sent = send(conn, sql)?;
    Ok((Open { conn, ended: false }, sent))
}

/// A transaction [`begin`] left open.
pub(crate) struct Open<'c> {
    conn: &'c mut Client,
    ended: bool,
}

impl Open<'_> {
    /// The connection, for statements of the transaction sent on their own.
    pub(crate) fn client(&mut self) -> &mut Client {
        self.conn
    }

    /// Sends `sql`, statements of the transaction, as one message; on failure the transaction is rolled
    /// back (and this one ended).
    pub(crate) fn send(&mut self, sql: &str) -> Result<Sent, Failed> {
        let sent = send(self.conn, sql);
        if sent.is_err() {
            self.ended = true;
        }
        sent
    }

    /// Sends `sql` (the transaction's last statements; may be empty) and `COMMIT`, as one message.
    pub(crate) fn commit_with(mut self, sql: &str) -> Result<Sent, Failed> {
        self.ended = true;
        match sql {
            "" => send(self.conn, "COMMIT"),
            sql => send(self.conn, &format!("{sql}; COMMIT")),
        }
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        if !self.ended {
            // As a dropped `postgres::Transaction` does; a broken connection has no transaction left.
            let _ = self.conn.batch_execute("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_written_as_quoted_text_arrays() {
        assert_eq!(text_array(None), "NULL::text[]");
        assert_eq!(
            text_array(Some(&["12".to_owned(), "it's".to_owned()])),
            "ARRAY['12', 'it''s']::text[]"
        );
        assert_eq!(
            key_of_json(Some(r#"["12", "it's"]"#)),
            Some(vec!["12".to_owned(), "it's".to_owned()])
        );
        assert_eq!(key_of_json(None), None);
        assert_eq!(
            text_array(Some(&[r"a\b".to_owned()])),
            r"ARRAY[E'a\\b']::text[]"
        );
    }
}
