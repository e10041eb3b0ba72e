//! The console as its own process, so a test can kill it as a power cut would
//! (`certroom sim console-child`): the same application layer as the window, hosting the room
//! of a session, its copy on a second medium if the console was given one. The parent writes
//! the invigilator's decisions on its standard input, one JSON command per line, and reads one
//! answer line for each.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;

use certroom_console::Console;
use certroom_protocol::{ConsoleCommand, Fingerprint, RoomView};
use serde::{Deserialize, Serialize};

/// What the child is told first: which room to open, where.
#[derive(Serialize, Deserialize)]
pub struct Opening {
    pub session: i64,
    pub password: String,
    pub bank_key: String,
    pub bind: String,
}

/// What the parent asks, one per line.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    Command(ConsoleCommand),
    View,
    /// Finalized room → the bundle, written in the exports folder and sent to the service.
    Send {
        service: String,
    },
}

/// A console child process; killed when dropped.
pub struct ConsoleProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    pub addr: SocketAddr,
    pub pin: Fingerprint,
}

impl Drop for ConsoleProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ConsoleProcess {
    /// Starts `exe --data-dir DATA sim console-child` and waits for its room to listen.
    pub fn spawn(exe: &Path, data: &Path, opening: &Opening) -> Result<Self, String> {
        let mut child = Command::new(exe)
            .arg("--data-dir")
            .arg(data)
            .args(["sim", "console-child"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("console: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("console: no stdin")?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("console: no stdout")?);
        let line = ask(
            &mut stdin,
            &mut stdout,
            &serde_json::to_string(opening).map_err(|e| e.to_string())?,
        )?;
        // `LISTENING address fingerprint`, the fingerprint grouped as the console shows it.
        let mut parts = line.split_whitespace();
        let (Some("LISTENING"), Some(addr)) = (parts.next(), parts.next()) else {
            return Err(format!("console did not open the room: {line:?}"));
        };
        let addr = addr.parse().map_err(|e| format!("console address: {e}"))?;
        let pin = Fingerprint::parse(&parts.collect::<String>()).map_err(|e| e.to_string())?;
        Ok(ConsoleProcess {
            child,
            stdin,
            stdout,
            addr,
            pin,
        })
    }

    fn request(&mut self, request: &Request) -> Result<String, String> {
        let answer = ask(
            &mut self.stdin,
            &mut self.stdout,
            &serde_json::to_string(request).map_err(|e| e.to_string())?,
        )?;
        match answer.strip_prefix("OK") {
            Some(rest) => Ok(rest.trim_start().to_owned()),
            None => Err(answer),
        }
    }

    pub fn command(&mut self, command: ConsoleCommand) -> Result<(), String> {
        self.request(&Request::Command(command)).map(drop)
    }

    pub fn view(&mut self) -> Result<RoomView, String> {
        serde_json::from_str(&self.request(&Request::View)?).map_err(|e| e.to_string())
    }

    /// The receipt's status and the bundle's bytes, once the service received it.
    pub fn send(&mut self, service: &str) -> Result<(String, Vec<u8>), String> {
        let answer = self.request(&Request::Send {
            service: service.to_owned(),
        })?;
        let (status, path) = answer.split_once(' ').ok_or("no bundle path")?;
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        Ok((status.to_owned(), bytes))
    }

    /// Ends the process at once (SIGKILL): no cleanup, as when the console PC dies.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One line to the child, one line back.
fn ask(
    stdin: &mut ChildStdin,
    stdout: &mut BufReader<ChildStdout>,
    line: &str,
) -> Result<String, String> {
    writeln!(stdin, "{line}")
        .and_then(|()| stdin.flush())
        .map_err(|e| format!("console: {e}"))?;
    let mut answer = String::new();
    stdout
        .read_line(&mut answer)
        .map_err(|e| format!("console: {e}"))?;
    if answer.is_empty() {
        return Err("console: ended".into());
    }
    Ok(answer.trim_end().to_owned())
}

/// The console process's body: opens the data folder's console, acting for whoever runs it,
/// and serves requests until its standard input closes.
pub fn serve_child(data: &Path) -> Result<(), String> {
    let console = Console::open(data).map_err(|e| e.message_fr)?;
    console.trust_local_operator();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut lines = std::io::stdin().lock().lines();
    let first = lines
        .next()
        .ok_or("no opening")?
        .map_err(|e| e.to_string())?;
    let opening: Opening = serde_json::from_str(&first).map_err(|e| e.to_string())?;
    let info = runtime
        .block_on(console.open_room(
            opening.session,
            &opening.password,
            &opening.bank_key,
            &opening.bind,
            Arc::new(|_| {}),
        ))
        .map_err(|e| e.message_fr)?;
    println!("LISTENING {} {}", info.address, info.fingerprint);
    for line in lines {
        let line = line.map_err(|e| e.to_string())?;
        let answer = match serde_json::from_str::<Request>(&line) {
            Err(e) => Err(e.to_string()),
            Ok(Request::Command(c)) => console
                .room_command(c)
                .map(|()| String::new())
                .map_err(|e| e.code),
            Ok(Request::View) => console
                .room_view()
                .map_err(|e| e.code)
                .and_then(|v| v.ok_or_else(|| "no room".to_owned()))
                .and_then(|v| serde_json::to_string(&v.view).map_err(|e| e.to_string())),
            Ok(Request::Send { service }) => runtime
                .block_on(console.send_bundle(&service))
                .map_err(|e| e.message_fr)
                .and_then(|status| {
                    let sent = status
                        .items
                        .first()
                        .is_some_and(|i| i.state == certroom_sync::State::Sent);
                    let receipt = status
                        .items
                        .first()
                        .and_then(|i| i.receipt.as_deref())
                        .and_then(|r| serde_json::from_str::<certroom_protocol::Receipt>(r).ok());
                    match (sent, receipt) {
                        (true, Some(receipt)) => console
                            .room_bundle()
                            .map(|(path, _)| format!("{} {}", receipt.status, path.display()))
                            .map_err(|e| e.message_fr),
                        _ => Err(format!("not sent: {:?}", status.items.first())),
                    }
                }),
        };
        match answer {
            Ok(rest) => println!("OK {rest}"),
            Err(e) => println!("ERR {}", e.replace('\n', " ")),
        }
    }
    runtime
        .block_on(console.close_room())
        .map_err(|e| e.message_fr)
}
