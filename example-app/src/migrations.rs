//! The app's migrations, compiled from `example-app/migrations/` by `build.rs`: `MIGRATIONS` (ordered by
//! timestamp) and `REGISTRY`. The migration CLI's runner and the app's own start-up both use this one list.

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
