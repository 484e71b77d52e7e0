//! A PostgreSQL schema of its own for one test, on the server `TEST_DATABASE_URL` names.
//!
//! Each test creates a fresh `test_<uuid>` schema and opens whatever it opens (a store, a
//! queue, the whole application) on [`PgSchema::url`], which puts that schema first on the
//! search path. The schema is dropped with the value unless `KEEP_TEST_DB=1`, which keeps it
//! for inspection.

use sqlx::Connection;

/// A schema owned by one test, dropped (with everything in it) when the value is dropped.
#[derive(Debug)]
pub struct PgSchema {
    server_url: String,
    name: String,
}

impl PgSchema {
    /// Creates a fresh schema on the server at `server_url` (usually from
    /// [`database_url`](crate::database_url)).
    pub async fn create(server_url: &str) -> PgSchema {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut connection = sqlx::PgConnection::connect(server_url).await.expect("connecting to TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE SCHEMA {name}")).execute(&mut connection).await.expect("creating a test schema");
        connection.close().await.expect("closing the connection that created the test schema");
        PgSchema { server_url: server_url.to_owned(), name }
    }

    /// The server URL with this schema first on the search path: what the test opens.
    pub fn url(&self) -> String {
        let separator = if self.server_url.contains('?') { '&' } else { '?' };
        format!("{}{separator}options=-c%20search_path%3D{}", self.server_url, self.name)
    }

    /// The schema's name (`test_<uuid>`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if std::env::var_os("KEEP_TEST_DB").is_some_and(|value| value == "1") {
            return;
        }
        let server_url = self.server_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread of our own.
        let dropped = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("building a cleanup runtime");
            runtime.block_on(async {
                let mut connection = sqlx::PgConnection::connect(&server_url).await?;
                sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).execute(&mut connection).await?;
                connection.close().await
            })
        })
        .join();
        // A failed test is reported as such, not as a second panic during its unwinding.
        if !matches!(dropped, Ok(Ok(()))) && !std::thread::panicking() {
            panic!("dropping the test schema {} failed: {dropped:?}", self.name);
        }
    }
}
