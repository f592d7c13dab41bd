//! A login role of a test's own, dropped when it goes out of scope, with what it owns and was granted.

use crate::TestDb;

/// A login role named after the test's database, with no rights but to connect.
#[derive(Debug)]
pub struct Role {
    pub name: String,
    admin_url: String,
    /// The test's database, where what the role owns or was granted is dropped first (when it still exists).
    db_url: String,
}

impl Role {
    /// `<database>_<suffix>`, able to log in. CREATE on schema `public` is taken from PUBLIC in `db`:
    /// PostgreSQL 14 and older let every role create there, 15 made that opt-in; so the role starts with the
    /// same rights on every major.
    pub fn new(db: &TestDb, suffix: &str) -> Role {
        let name = format!("{}_{suffix}", db.name());
        db.exec(&format!("CREATE ROLE \"{name}\" LOGIN"));
        db.exec("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
        Role {
            name,
            admin_url: db.admin_url().to_owned(),
            db_url: db.url().to_owned(),
        }
    }

    /// Lets the role read every table of `db` as a reviewer's role would: `pg_read_all_data` from
    /// PostgreSQL 14, before it `SELECT` on every table of schema `public` (the tables there now).
    pub fn grant_read_all_data(&self, db: &TestDb) {
        if db.server_major() >= 14 {
            db.exec(&format!("GRANT pg_read_all_data TO \"{}\"", self.name));
        } else {
            db.exec(&format!(
                "GRANT USAGE ON SCHEMA public TO \"{0}\"; GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{0}\"",
                self.name
            ));
        }
    }

    /// `db`'s URL as this role.
    pub fn url(&self, db: &TestDb) -> String {
        let mut url = url::Url::parse(db.url()).expect("URL");
        url.set_username(&self.name).expect("user");
        url.to_string()
    }
}

impl Drop for Role {
    /// Roles are cluster-wide: a role that owns something, or holds a privilege, in the test's database or on
    /// the server (a parameter, a database) cannot be dropped until that is gone, and would be left behind.
    fn drop(&mut self) {
        let drop_owned = format!("DROP OWNED BY \"{}\"", self.name);
        if let Ok(mut db) = postgres::Client::connect(&self.db_url, postgres::NoTls) {
            let _ = db.batch_execute(&drop_owned);
        }
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&drop_owned);
            let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS \"{}\"", self.name));
        }
    }
}
