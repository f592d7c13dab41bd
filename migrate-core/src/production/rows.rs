//! The rows a data step would write on production, as the planner estimates them: `EXPLAIN` of the query
//! that selects them (the statement's own condition on its table), never run, in a read-only transaction.
//!
//! `EXPLAIN` without `ANALYZE` plans the query and reads nothing but the catalog and the statistics, but the
//! server checks that the role may read the tables it names: a role that may only read statistics gets no
//! answer, and the review says so (the rows are then bounded by the table's).

use std::time::Duration;

use postgres::error::SqlState;
use postgres::Client;

use super::{database, read_only, ProductionError};

/// The longest one plan may take: planning reads statistics, and a condition with a function the planner
/// evaluates could take longer.
const PLAN_TIMEOUT: Duration = Duration::from_secs(5);

/// The planner's estimate of the rows each of `queries` returns, or why there is none; in one read-only
/// transaction, each query in a savepoint of its own so that one refused does not stop the others.
pub fn planned_rows(
    client: &mut Client,
    queries: &[String],
) -> Result<Vec<Result<f64, String>>, ProductionError> {
    let mut tx = read_only(
        client,
        "statement_timeout",
        PLAN_TIMEOUT,
        "set the plans' statement timeout",
    )?;
    let mut out = Vec::with_capacity(queries.len());
    for query in queries {
        tx.batch_execute("SAVEPOINT migrate_plan")
            .map_err(database("start a savepoint"))?;
        // The extended protocol takes one statement only: a query cannot carry a second one.
        let planned = tx.query(&format!("EXPLAIN {query}"), &[]);
        match planned {
            Ok(rows) => {
                tx.batch_execute("RELEASE SAVEPOINT migrate_plan")
                    .map_err(database("release the savepoint"))?;
                let top: Option<String> = rows.first().and_then(|r| r.try_get(0).ok());
                out.push(
                    top.as_deref()
                        .and_then(top_rows)
                        .ok_or_else(|| "the plan has no row estimate".to_owned()),
                );
            }
            Err(e) => {
                tx.batch_execute("ROLLBACK TO SAVEPOINT migrate_plan")
                    .map_err(database("roll back to the savepoint"))?;
                out.push(Err(refused(&e)));
            }
        }
    }
    tx.commit().map_err(database("end the read-only transaction"))?;
    Ok(out)
}

/// The row estimate of the plan's top node, from its line: `Seq Scan on t  (cost=0.00..9.00 rows=500 width=4)`.
fn top_rows(line: &str) -> Option<f64> {
    let at = line.find(" rows=")? + " rows=".len();
    let digits: String = line[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Why a plan was refused, in words a reviewer acts on.
fn refused(e: &postgres::Error) -> String {
    match e.code() {
        Some(c) if *c == SqlState::INSUFFICIENT_PRIVILEGE => {
            "the role may not read the table, so the planner cannot be asked (grant it SELECT on the table, or \
             pg_read_all_data)"
                .to_owned()
        }
        Some(c) if *c == SqlState::UNDEFINED_COLUMN || *c == SqlState::UNDEFINED_TABLE => format!(
            "its condition names what production does not have yet ({})",
            crate::error::describe_pg(e)
        ),
        _ => format!(
            "the planner could not estimate its condition: {}",
            crate::error::describe_pg(e)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_row_estimate_is_the_top_plan_nodes() {
        let line = "Seq Scan on orders  (cost=0.00..91628.00 rows=498230 width=4)";
        assert_eq!(top_rows(line), Some(498_230.0));
        assert_eq!(top_rows("Result"), None);
    }
}
