//! A walk by ranges of a dense integer key, sized by the batch sizer.

use postgres::GenericClient;

use super::executor::Executor;

/// How many keys are after `from` up to `to`.
pub(super) fn keys_between(from: i64, to: i64) -> u64 {
    u64::try_from(i128::from(to) - i128::from(from)).unwrap_or(0)
}

/// The key of a single integer key column, as a cursor records it.
pub(super) fn key_of(cursor: Option<&Vec<String>>) -> Option<i64> {
    cursor.and_then(|c| c.first()).and_then(|k| k.parse().ok())
}

/// A single integer key whose values are dense (the span from the first to the last key at most
/// [`DenseKey::SPAN`] times the table's rows): the walk steps through key ranges whose width adapts like a batch
/// size, instead of reading where each batch of rows ends (an index scan of every key, about a twentieth of a
/// backfill's time). A sparse key (snowflake ids) would walk mostly empty ranges, so it keeps the reading walk;
/// so does a fixed batch size, which promises rows per batch, not keys.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DenseKey {
    pub(super) first: i64,
    /// The last key known; read again when the walk reaches it, for rows added since.
    pub(super) last: i64,
}

impl DenseKey {
    const SPAN: f64 = 2.0;

    /// The key's bounds, when the walk can step by arithmetic; `cursor` is where a resumed walk stands.
    pub(super) fn of(
        conn: &mut impl GenericClient,
        exec: &Executor<'_>,
        cursor: Option<&Vec<String>>,
        known_rows: u64,
    ) -> Result<Option<DenseKey>, postgres::Error> {
        let [key] = exec.keys.as_slice() else {
            return Ok(None);
        };
        let integer = matches!(key.sql_type.as_str(), "smallint" | "integer" | "bigint");
        // A recorded position that is not an integer comes from another walk: the reading walk handles it.
        let resumable = cursor.is_none_or(|c| matches!(c.as_slice(), [k] if k.parse::<i64>().is_ok()));
        if !integer || !resumable {
            return Ok(None);
        }
        let column = migrate_dsl::ident(&key.column);
        let row = conn.query_one(
            &format!(
                "SELECT min({column})::int8, max({column})::int8, \
                 (SELECT c.reltuples::float8 FROM pg_catalog.pg_class c WHERE c.oid = $1::text::regclass) \
                 FROM {}",
                exec.target
            ),
            &[&exec.target],
        )?;
        let (Some(first), Some(last), Some(rows)) = (
            row.get::<_, Option<i64>>(0),
            row.get::<_, Option<i64>>(1),
            row.get::<_, Option<f64>>(2),
        ) else {
            return Ok(None);
        };
        Ok(Self::dense(first, last, rows, known_rows).then_some(DenseKey { first, last }))
    }

    /// Whether keys from `first` to `last` are dense in a table of `reltuples` rows as the server last
    /// counted them, `known_rows` of which were counted before the walk. reltuples is -1 for a table never
    /// vacuumed or analysed (one just created and filled, the usual case for a backfill); the rows counted
    /// before the walk (those left to do, and those an earlier run did) are at most the table's, so a span
    /// within twice them is dense too.
    pub(super) fn dense(first: i64, last: i64, reltuples: f64, known_rows: u64) -> bool {
        let rows = reltuples.max(known_rows as f64);
        let span = (i128::from(last) - i128::from(first) + 1) as f64;
        rows > 0.0 && span <= Self::SPAN * rows
    }

    /// The end of the next range of `width` keys after the cursor, and the range's width; `None` once no
    /// key is left after it.
    pub(super) fn end(
        &mut self,
        conn: &mut impl GenericClient,
        exec: &Executor<'_>,
        cursor: &Option<Vec<String>>,
        width: u32,
    ) -> Result<Option<RangeEnd>, postgres::Error> {
        // Checked by `of` for a resumed walk, and written by this walk since. Were it anything else, the
        // walk would start over: rows done twice, none skipped.
        let done = cursor
            .as_ref()
            .and_then(|c| c.first())
            .and_then(|k| k.parse::<i64>().ok())
            .unwrap_or(self.first.saturating_sub(1));
        if done >= self.last {
            let column = migrate_dsl::ident(&exec.keys[0].column);
            let last: Option<i64> = conn
                .query_one(
                    &format!(
                        "SELECT max({column})::int8 FROM {} WHERE {column} > $1::int8",
                        exec.target
                    ),
                    &[&done],
                )?
                .get(0);
            match last {
                Some(last) => self.last = last,
                None => return Ok(None),
            }
        }
        // Never past the last key: a range's end must fit the key's type.
        let end = done.saturating_add(i64::from(width)).min(self.last);
        let walked = u64::try_from(i128::from(end) - i128::from(done)).unwrap_or(u64::MAX);
        Ok(Some(RangeEnd {
            key: vec![end.to_string()],
            walked: Some(walked),
        }))
    }
}

/// Where the next batch's key range ends, and how many keys wide it is when the walk steps by arithmetic
/// ([`DenseKey`]); the reading walk knows its batch by rows.
pub(crate) struct RangeEnd {
    pub(crate) key: Vec<String>,
    pub(crate) walked: Option<u64>,
}
