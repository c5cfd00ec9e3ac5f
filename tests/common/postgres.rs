//! PostgreSQL for the tests: a throwaway cluster the test starts itself (initdb and
//! pg_ctl in a temporary directory, on 127.0.0.1 and a free port), and one fresh database
//! per data directory when the suite runs on PostgreSQL (`QUIETLINE_TEST_DATABASE_URL`).
//!
//! initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` user
//! (`runuser -u postgres --`), as Debian's package creates it. Without PostgreSQL
//! installed, [`Cluster::start`] returns why, and the tests that need one print it and
//! pass: they cannot check anything on this machine.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Where Debian installs the server binaries, newest first.
const VERSIONS: &[&str] = &["17", "16", "15"];

/// The variable that runs the whole suite on PostgreSQL: the URL of a server where the
/// tests may create databases (e.g. `postgres://postgres@127.0.0.1:5433/postgres`).
pub const SUITE_VARIABLE: &str = "QUIETLINE_TEST_DATABASE_URL";

/// Whether this run keeps every deployment's store in PostgreSQL.
pub fn suite_on_postgres() -> bool {
    std::env::var(SUITE_VARIABLE).is_ok_and(|v| !v.is_empty())
}

/// Returns true, having printed why, when a sled-only test must not run because the suite
/// runs on PostgreSQL.
pub fn skip_sled_only(why: &str) -> bool {
    if suite_on_postgres() {
        eprintln!("SKIPPED on PostgreSQL ({SUITE_VARIABLE} is set): {why}");
        return true;
    }
    false
}

/// The database URL of the store of `data_dir` when the suite runs on PostgreSQL: one
/// database per data directory, created at first use, so that a restart on the same
/// directory finds the same store and no two deployments share one.
pub fn database_for(data_dir: &Path) -> Option<String> {
    let base = std::env::var(SUITE_VARIABLE)
        .ok()
        .filter(|v| !v.is_empty())?;
    static CREATED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let name = database_name(data_dir);
    let mut created = CREATED.lock().unwrap_or_else(|p| p.into_inner());
    if !created.iter().any(|d| d == data_dir) {
        create_database(&base, &name);
        created.push(data_dir.to_owned());
    }
    Some(with_database(&base, &name))
}

/// A database name from the data directory's path (unique: temporary directories are).
fn database_name(data_dir: &Path) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    data_dir.hash(&mut hasher);
    std::process::id().hash(&mut hasher);
    format!("qltest_{:016x}", hasher.finish())
}

/// `base` with its database name replaced by `name`.
pub fn with_database(base: &str, name: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (base, None),
    };
    let after_scheme = head.find("://").map_or(0, |i| i + 3);
    let head = match head[after_scheme..].find('/') {
        Some(i) => &head[..after_scheme + i],
        None => head,
    };
    match query {
        Some(query) => format!("{head}/{name}?{query}"),
        None => format!("{head}/{name}"),
    }
}

/// Creates database `name` on the server of `base`.
pub fn create_database(base: &str, name: &str) {
    let mut client = postgres::Client::connect(base, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot reach the test database server: {e}"));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name} failed: {e}"));
}

/// A throwaway PostgreSQL cluster, stopped (immediately) and deleted when dropped.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    as_postgres: bool,
    /// Databases handed out by [`Cluster::fresh_database`].
    made: Mutex<HashSet<String>>,
}

impl Cluster {
    /// Starts a cluster, or says why it cannot (PostgreSQL not installed). Panics if
    /// PostgreSQL is installed but the cluster does not start.
    pub fn start() -> Result<Cluster, String> {
        let bin = VERSIONS
            .iter()
            .map(|v| PathBuf::from(format!("/usr/lib/postgresql/{v}/bin")))
            .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
            .ok_or("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql")?;
        let as_postgres = is_root();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("pgdata");
        if as_postgres {
            chown_postgres(dir.path());
        }
        let mut cluster = Cluster {
            dir,
            bin,
            port: 0,
            as_postgres,
            made: Mutex::new(HashSet::new()),
        };
        // PostgreSQL is installed from here on: a cluster that does not start is a failure
        // of the test, never a reason to skip it.
        cluster
            .run(
                "initdb",
                &[
                    "-D",
                    data.to_str().unwrap(),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                ],
            )
            .unwrap_or_else(|e| panic!("initdb failed: {e}"));
        // Another process may take the free port before the server binds it: try another.
        for attempt in 1..=3 {
            cluster.port = free_port();
            match cluster.start_server() {
                Ok(()) => break,
                Err(e) if attempt == 3 => panic!(
                    "PostgreSQL did not start: {e}\n{}",
                    std::fs::read_to_string(cluster.dir.path().join("log")).unwrap_or_default()
                ),
                Err(_) => continue,
            }
        }
        Ok(cluster)
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// A new, empty database; its URL.
    pub fn fresh_database(&self) -> String {
        let mut made = self.made.lock().unwrap();
        let name = format!("qltest_{}", made.len());
        create_database(&self.url("postgres"), &name);
        made.insert(name.clone());
        self.url(&name)
    }

    /// Stops the server at once (like a crash), keeping its files.
    pub fn stop(&self) {
        let data = self.dir.path().join("pgdata");
        let _ = self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// Starts it again on the same port.
    pub fn restart(&self) {
        self.start_server().unwrap();
    }

    /// Starts the server on `self.port`, and waits until it accepts connections.
    fn start_server(&self) -> Result<(), String> {
        let data = self.dir.path().join("pgdata");
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                self.dir.path().join("log").to_str().unwrap(),
                "-w",
                "start",
            ],
        )
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let out = command
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .map_err(|e| format!("cannot run {tool}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{tool} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn chown_postgres(dir: &Path) {
    let status = Command::new("chown")
        .args(["postgres:postgres", dir.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success(), "chown postgres failed");
}

/// A port on 127.0.0.1 that nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A cluster for a PostgreSQL-only test, or None after printing why there is none.
pub fn cluster_or_skip() -> Option<Cluster> {
    match Cluster::start() {
        Ok(cluster) => Some(cluster),
        Err(why) => {
            eprintln!("SKIPPED: this test needs PostgreSQL: {why}");
            None
        }
    }
}

/// Every evidence file of the database at `url`, complete or being written: its id in
/// hex and its ciphertext, chunks in order.
pub fn stored_blobs(url: &str) -> Vec<(String, Vec<u8>)> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let rows = client
        .query(
            "SELECT encode(b.id, 'hex'),
                    coalesce((SELECT string_agg(c.bytes, ''::bytea ORDER BY c.seq)
                              FROM blob_chunks c WHERE c.blob = b.id), ''::bytea)
             FROM blobs b",
            &[],
        )
        .unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

/// Flips one bit of the stored ciphertext of evidence file `blob` (hex id), at the
/// position `at` picks from its length, as damage on the database's disk would.
pub fn flip_blob_byte(url: &str, blob: &str, at: impl Fn(usize) -> usize) {
    const CHUNK: usize = 1024 * 1024;
    let (_, bytes) = stored_blobs(url)
        .into_iter()
        .find(|(name, _)| name == blob)
        .unwrap_or_else(|| panic!("no blob {blob}"));
    let at = at(bytes.len());
    let seq = i32::try_from(at / CHUNK).unwrap();
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let row = client
        .query_one(
            "SELECT bytes FROM blob_chunks WHERE blob = decode($1, 'hex') AND seq = $2",
            &[&blob, &seq],
        )
        .unwrap();
    let mut chunk: Vec<u8> = row.get(0);
    chunk[at % CHUNK] ^= 0x01;
    client
        .execute(
            "UPDATE blob_chunks SET bytes = $3 WHERE blob = decode($1, 'hex') AND seq = $2",
            &[&blob, &seq, &chunk],
        )
        .unwrap();
}

/// Flips one bit of audit entry `seq`, `from_end` bytes before its end.
pub fn flip_audit_byte(url: &str, seq: i64, from_end: usize) {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let row = client
        .query_one("SELECT entry FROM audit WHERE seq = $1", &[&seq])
        .unwrap();
    let mut entry: Vec<u8> = row.get(0);
    let at = entry.len() - from_end;
    entry[at] ^= 0x01;
    client
        .execute(
            "UPDATE audit SET entry = $2 WHERE seq = $1",
            &[&seq, &entry],
        )
        .unwrap();
}

/// A plain-SQL `pg_dump` of the database at `url`: what a copy of the database holds.
pub fn dump(url: &str) -> Vec<u8> {
    let pg_dump = VERSIONS
        .iter()
        .map(|v| PathBuf::from(format!("/usr/lib/postgresql/{v}/bin/pg_dump")))
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("pg_dump"));
    let out = Command::new(pg_dump)
        .arg("--dbname")
        .arg(url)
        .output()
        .unwrap();
    assert!(out.status.success(), "pg_dump failed: {out:?}");
    assert!(!out.stdout.is_empty());
    out.stdout
}
