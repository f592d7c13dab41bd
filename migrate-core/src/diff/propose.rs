//! Rename proposals: a table or column that disappears next to a similar new one.
//!
//! Similar means: a column of the same type in the same table; a table with the same columns (names and
//! types). Each disappearing object is paired with at most one new one, the closest by name. A proposal
//! already confirmed or declined is not made again.

use super::model::{Column, QName, Table};
use super::plan::{Planner, Proposal};
use super::Rename;

pub(crate) fn propose(p: &mut Planner<'_>) {
    let mut proposals = Vec::new();
    let added_tables: Vec<&QName> = p
        .to
        .tables
        .keys()
        .filter(|name| !p.from.tables.contains_key(*name))
        .collect();
    let mut taken: Vec<&QName> = Vec::new();
    for (name, table) in &p.from.tables {
        if p.to.tables.contains_key(name) {
            continue;
        }
        if let Some(to) = p.table_renamed(name) {
            taken.push(
                added_tables
                    .iter()
                    .copied()
                    .find(|t| t.0 == name.0 && t.1 == to)
                    .unwrap_or(name),
            );
            continue;
        }
        let candidate = added_tables
            .iter()
            .copied()
            .filter(|t| t.0 == name.0 && !taken.contains(t) && same_columns(table, &p.to.tables[*t]))
            .min_by_key(|t| distance(&name.1, &t.1));
        if let Some(new) = candidate {
            let rename = Rename::Table {
                table: name.clone(),
                to: new.1.clone(),
            };
            if !p.declined(&rename) {
                taken.push(new);
                proposals.push(Proposal {
                    rename,
                    because: "with the same columns".to_owned(),
                });
            }
        }
    }
    for (name, table) in &p.from.tables {
        let target = match p.table_renamed(name) {
            Some(to) => (name.0.clone(), to.to_owned()),
            None => name.clone(),
        };
        let Some(new_table) = p.to.tables.get(&target) else {
            continue;
        };
        let added: Vec<&Column> = new_table
            .columns
            .iter()
            .filter(|c| table.column(&c.name).is_none())
            .collect();
        let mut used: Vec<&str> = table
            .columns
            .iter()
            .filter_map(|c| p.column_renamed(name, &c.name))
            .collect();
        for column in &table.columns {
            if new_table.column(&column.name).is_some() || p.column_renamed(name, &column.name).is_some() {
                continue;
            }
            let candidate = added
                .iter()
                .filter(|c| c.data_type == column.data_type && !used.contains(&c.name.as_str()))
                .min_by_key(|c| distance(&column.name, &c.name));
            if let Some(new) = candidate {
                let rename = Rename::Column {
                    table: name.clone(),
                    column: column.name.clone(),
                    to: new.name.clone(),
                };
                if !p.declined(&rename) {
                    used.push(&new.name);
                    proposals.push(Proposal {
                        rename,
                        because: format!("of type {}", column.data_type),
                    });
                }
            }
        }
    }
    p.out.proposals = proposals;
}

fn same_columns(a: &Table, b: &Table) -> bool {
    a.columns.len() == b.columns.len()
        && a.columns
            .iter()
            .all(|c| b.column(&c.name).is_some_and(|d| d.data_type == c.data_type))
}

/// Levenshtein distance: how far apart two names are.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb)).min(row[j] + 1).min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::distance;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("name", "full_name"), 5);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "ab"), 2);
    }
}
