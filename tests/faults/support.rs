//! Real processes for the fault tests: a private PostgreSQL cluster that can be stopped and
//! started, the `lienket` binary as a child process, nginx in front of two of them, and a demo
//! login to drive load with.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use uuid::Uuid;

/// A fresh directory under the system's temporary directory, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(label: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("lienket-{label}-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        Self(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn check(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A PostgreSQL cluster of its own (initdb in a scratch directory, on a free port), so that
/// stopping it disturbs nothing else. The server binaries are taken from `PG_BIN_DIR`, else from
/// the newest `/usr/lib/postgresql/*/bin`. As root, the cluster runs as the `postgres` user.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
    _dir: Scratch,
}

impl Postgres {
    pub fn start() -> Self {
        let bin = std::env::var_os("PG_BIN_DIR").map(PathBuf::from).unwrap_or_else(|| {
            let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
                .expect("PostgreSQL server binaries in /usr/lib/postgresql (or set PG_BIN_DIR)")
                .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                .filter(|p| p.join("initdb").exists())
                .collect();
            dirs.sort_by_key(|p| {
                p.parent()
                    .and_then(|v| v.file_name())
                    .and_then(|v| v.to_str())
                    .and_then(|v| v.parse::<u32>().ok())
            });
            dirs.pop().expect("an initdb under /usr/lib/postgresql")
        });
        let dir = Scratch::new("pg");
        let data = dir.path("data");
        let as_postgres = is_root();
        if as_postgres {
            check(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir.0));
        }
        let pg = Self {
            bin,
            data,
            port: free_port(),
            as_postgres,
            _dir: dir,
        };
        check(
            pg.command("initdb", &["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "-D"])
                .arg(&pg.data),
        );
        pg.resume();
        pg
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args);
        command
    }

    /// Starts (again) and waits until it accepts connections.
    pub fn resume(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.data.parent().unwrap_or(Path::new("/tmp")).display()
        );
        let log = self.data.parent().unwrap_or(Path::new("/tmp")).join("postgres.log");
        check(
            self.command("pg_ctl", &["-w", "-t", "60", "-o", &options, "-l"])
                .arg(log)
                .arg("-D")
                .arg(&self.data)
                .arg("start"),
        );
    }

    /// Stops at once: connections are cut, as when the database host goes down.
    pub fn stop(&self) {
        check(self.command("pg_ctl", &["-w", "-m", "immediate", "-D"]).arg(&self.data).arg("stop"));
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl", &["-m", "immediate", "-D"])
            .arg(&self.data)
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The `lienket` binary serving on a free port.
pub struct Service {
    child: Child,
    pub base: String,
    pub port: u16,
    pub log: PathBuf,
}

impl Service {
    /// Starts the binary with the demo data and `env` on top, its log in `dir`; waits until it
    /// is ready.
    pub async fn start(dir: &Scratch, name: &str, env: &[(&str, String)]) -> Self {
        let port = free_port();
        let log = dir.path(&format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("create the log file");
        let child = Command::new(env!("CARGO_BIN_EXE_lienket"))
            .env("LIENKET_BIND", format!("127.0.0.1:{port}"))
            .env("LIENKET_DATA_DIR", &dir.0)
            .env("LIENKET_LOG_FORMAT", "json")
            .env("LIENKET_LOG", "warn")
            .env("LIENKET_LOGIN_LIMIT_PER_ADDRESS", "100000")
            .env("LIENKET_LOGIN_LIMIT_PER_ACCOUNT", "100000")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .expect("start lienket");
        let service = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            port,
            log,
        };
        service.wait_until(Duration::from_secs(120), |s| s == 200, "/health/ready").await;
        service
    }

    /// Polls `path` until `accept` takes its status; panics with the log after `within`.
    pub async fn wait_until(&self, within: Duration, accept: impl Fn(u16) -> bool, path: &str) -> Duration {
        let started = Instant::now();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
        while started.elapsed() < within {
            if let Ok(r) = client.get(format!("{}{path}", self.base)).send().await
                && accept(r.status().as_u16())
            {
                return started.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{path} did not answer as expected within {within:?}; log:\n{}", self.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The demo logins printed at start: username → password.
    pub fn logins(&self) -> HashMap<String, String> {
        let log = self.log_text();
        let mut logins = HashMap::new();
        for line in log.lines() {
            let mut words = line.split_whitespace();
            while let Some(word) = words.next() {
                if let Some(user) = word.strip_prefix("username=")
                    && let Some(password) = words.next().and_then(|w| w.strip_prefix("password="))
                {
                    logins.insert(user.to_owned(), password.to_owned());
                }
            }
        }
        logins
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, signal: &str) {
        check(Command::new("kill").args(["-s", signal, &self.child.id().to_string()]));
    }

    /// Waits for the process to exit; `None` if it is still running after `within`.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        wait_for_exit(&mut self.child, within)
    }
}

/// Waits for `child` to exit; `None` if it is still running after `within`.
fn wait_for_exit(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < within {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx on a free port, balancing over the given upstream ports, and passing a request on to
/// the next upstream when one cannot be reached; POSTs too, which `Idempotency-Key` makes safe.
pub struct Nginx {
    child: Child,
    pub base: String,
}

impl Nginx {
    pub async fn start(dir: &Scratch, upstreams: &[u16]) -> Self {
        let port = free_port();
        let prefix = dir.path("nginx");
        std::fs::create_dir_all(&prefix).expect("nginx prefix");
        let servers: String = upstreams
            .iter()
            .map(|p| format!("server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;\n"))
            .collect();
        let config = format!(
            "worker_processes 1;\n\
             pid {p}/nginx.pid;\n\
             error_log {p}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n\
               access_log off;\n\
               client_body_temp_path {p}/body; proxy_temp_path {p}/proxy; fastcgi_temp_path {p}/fastcgi;\n\
               uwsgi_temp_path {p}/uwsgi; scgi_temp_path {p}/scgi;\n\
               upstream lienket {{ {servers} keepalive 16; }}\n\
               server {{\n\
                 listen 127.0.0.1:{port};\n\
                 location / {{\n\
                   proxy_pass http://lienket;\n\
                   proxy_http_version 1.1;\n\
                   proxy_set_header Connection \"\";\n\
                   proxy_set_header Host $host;\n\
                   proxy_set_header X-Forwarded-For $remote_addr;\n\
                   proxy_connect_timeout 1s;\n\
                   proxy_next_upstream error timeout http_502 http_503 non_idempotent;\n\
                   proxy_next_upstream_tries 3;\n\
                 }}\n\
               }}\n\
             }}\n",
            p = prefix.display()
        );
        let conf = prefix.join("nginx.conf");
        std::fs::write(&conf, config).expect("write nginx.conf");
        let nginx = std::env::var("NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".to_owned());
        let child = Command::new(nginx)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx (Debian package nginx-light)");
        let nginx = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client.get(format!("{}/health/live", nginx.base)).send().await.is_ok() {
                return nginx;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("nginx did not start; see {}", prefix.join("error.log").display());
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // On SIGTERM the master stops its workers before it exits; killing the master outright
        // would leave them running, still listening, after the test.
        let _ = Command::new("kill").args(["-s", "TERM", &self.child.id().to_string()]).status();
        if wait_for_exit(&mut self.child, Duration::from_secs(5)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A demo officer and coordinator, and where they report incidents.
#[derive(Clone)]
pub struct Reporter {
    pub officer: String,
    pub coordinator: String,
    pub cluster: String,
    pub category: String,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

pub async fn token(base: &str, username: &str, password: &str) -> String {
    let response = client()
        .post(format!("{base}/api/v1/auth/token"))
        .form(&[("grant_type", "password"), ("username", username), ("password", password)])
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), 200, "login of {username}");
    let body: Value = response.json().await.expect("token body");
    body["access_token"].as_str().expect("access_token").to_owned()
}

impl Reporter {
    /// The demo officer of Văn Lâm reporting to the 8-unit cluster, and its coordinator.
    pub async fn of(service: &Service) -> Self {
        let logins = service.logins();
        let base = &service.base;
        let officer = token(base, "officer.vanlam", &logins["officer.vanlam"]).await;
        let coordinator = token(base, "coordinator.gialam", &logins["coordinator.gialam"]).await;
        let get = |path: String| {
            let coordinator = coordinator.clone();
            async move {
                let body: Value = client()
                    .get(path)
                    .bearer_auth(coordinator)
                    .send()
                    .await
                    .expect("read")
                    .json()
                    .await
                    .expect("json");
                body["items"][0]["id"].as_str().expect("an id").to_owned()
            }
        };
        let cluster = get(format!("{base}/api/v1/clusters?q=gia%20lam")).await;
        let category = get(format!("{base}/api/v1/incident-categories?code=drugs")).await;
        Self {
            officer,
            coordinator,
            cluster,
            category,
        }
    }

    /// A new incident whose summary carries `marker`, so it can be found again.
    pub fn incident(&self, marker: &str) -> Value {
        json!({
            "cluster_id": self.cluster,
            "category_id": self.category,
            "severity": "medium",
            "occurred_at": "2026-01-10T21:30:00+07:00",
            "reported_at": "2026-01-10T22:00:00+07:00",
            "summary": format!("Kiểm tra sự cố {marker}"),
        })
    }

    /// Every incident of the cluster whose summary carries `run`: marker → ids.
    pub async fn reported(&self, base: &str, run: &str) -> HashMap<String, Vec<String>> {
        let mut found: HashMap<String, Vec<String>> = HashMap::new();
        let mut path = format!("/api/v1/incidents?cluster_id={}&limit=500", self.cluster);
        loop {
            let body: Value = client()
                .get(format!("{base}{path}"))
                .bearer_auth(&self.coordinator)
                .send()
                .await
                .expect("list")
                .json()
                .await
                .expect("json");
            for item in body["items"].as_array().expect("items") {
                let summary = item["summary"].as_str().unwrap_or("");
                if let Some(marker) = summary.split_whitespace().find(|w| w.starts_with(run)) {
                    found
                        .entry(marker.to_owned())
                        .or_default()
                        .push(item["id"].as_str().unwrap_or("").to_owned());
                }
            }
            match body["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/incidents?cluster_id={}&limit=500&cursor={cursor}", self.cluster),
                None => return found,
            }
        }
    }
}
