//! A login role of a test's own, dropped (after the test's database) when it goes out of scope.

use crate::TestDb;

/// A login role named after the test's database, with no rights but to connect.
#[derive(Debug)]
pub struct Role {
    pub name: String,
    admin_url: String,
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
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS \"{}\"", self.name));
        }
    }
}
