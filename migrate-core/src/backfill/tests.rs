use super::DenseKey;

#[test]
fn a_key_is_dense_by_the_servers_count_or_by_the_rows_counted_before_the_walk() {
    // Analysed: 1,000 rows over keys 1..=1500 are dense, over 1..=5000 sparse.
    assert!(DenseKey::dense(1, 1500, 1000.0, 0));
    assert!(!DenseKey::dense(1, 5000, 1000.0, 0));
    // Never analysed (reltuples -1): the rows counted before the walk decide.
    assert!(DenseKey::dense(1, 300_000, -1.0, 300_000));
    assert!(DenseKey::dense(1, 300_000, -1.0, 150_000));
    assert!(!DenseKey::dense(1, 300_000, -1.0, 1_000));
    // Nothing known, or an empty table: not dense.
    assert!(!DenseKey::dense(1, 10, -1.0, 0));
    // Keys at both ends of the type: no overflow.
    assert!(!DenseKey::dense(i64::MIN, i64::MAX, 1e6, 1_000_000));
}
