//! The package's older migrations, compiled by build.rs from the names in the migrations folder's
//! sealed.txt. The package's own registry (src/migrations.rs) merges them with the newer ones.

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
