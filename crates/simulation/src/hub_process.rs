//! The hub as its own process, so that its CPU and memory are measured apart from the simulated
//! kiosks (`certroom sim room`): the parent starts `certroom sim hub-child`, reads the address
//! and fingerprint it prints, and reads its CPU time and peak memory from /proc.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use certroom_hub::{Hub, RoomSetup};
use certroom_protocol::Fingerprint;

/// A hub child process; killed when dropped.
pub struct HubProcess {
    child: Child,
    pub addr: SocketAddr,
    pub pin: Fingerprint,
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl HubProcess {
    /// Starts `exe sim hub-child --dir DIR --setup SETUP` and waits for it to listen.
    pub fn spawn(exe: &Path, dir: &Path, setup: &RoomSetup) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let setup_file = dir.join("setup.json");
        let json = serde_json::to_vec(setup).map_err(|e| e.to_string())?;
        std::fs::write(&setup_file, json).map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .args(["sim", "hub-child", "--dir"])
            .arg(dir)
            .arg("--setup")
            .arg(&setup_file)
            .stdout(Stdio::piped())
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| format!("hub: {e}"))?;
        let out = child.stdout.take().ok_or("hub: no stdout")?;
        let mut line = String::new();
        BufReader::new(out)
            .read_line(&mut line)
            .map_err(|e| format!("hub: {e}"))?;
        let mut parts = line.split_whitespace();
        let (Some("LISTENING"), Some(addr), Some(fp)) = (parts.next(), parts.next(), parts.next())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("hub did not start: {line:?}"));
        };
        let parsed = (|| {
            Ok::<_, String>((
                addr.parse().map_err(|e| format!("hub address: {e}"))?,
                Fingerprint::parse(fp).map_err(|e| e.to_string())?,
            ))
        })();
        let (addr, pin) = match parsed {
            Ok(p) => p,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        Ok(HubProcess { child, addr, pin })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time used so far, in seconds (user + system).
    pub fn cpu_seconds(&self) -> f64 {
        cpu_ticks(self.pid()) as f64 / TICKS_PER_SECOND
    }

    /// Peak resident memory so far, in MiB.
    pub fn peak_rss_mb(&self) -> f64 {
        peak_rss_kb(self.pid()) as f64 / 1024.0
    }
}

/// The hub process's body: serves until its standard input closes (its parent is gone).
pub fn serve_child(dir: &Path, setup: &Path, bind: &str) -> Result<(), String> {
    let setup: RoomSetup =
        serde_json::from_slice(&std::fs::read(setup).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let hub = Hub::open(dir, setup).map_err(|e| e.to_string())?;
        let bind = bind.parse().map_err(|e| format!("{bind}: {e}"))?;
        let running = hub.serve(bind).await.map_err(|e| e.to_string())?;
        println!(
            "LISTENING {} {}",
            running.addr,
            running.hub.fingerprint().to_hex()
        );
        tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            while std::io::stdin()
                .read_line(&mut sink)
                .map(|n| n > 0)
                .unwrap_or(false)
            {}
        })
        .await
        .map_err(|e| e.to_string())?;
        running.stop().await;
        Ok(())
    })
}

/// Linux counts process CPU time in clock ticks of 1/100 s (USER_HZ).
const TICKS_PER_SECOND: f64 = 100.0;

fn cpu_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let get = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    get(11) + get(12)
}

fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
