//! Why the kiosk's window lost the focus. With the screen reader on, its own windows (Orca's
//! preferences, its find dialog, its "quit?" question) take the focus from the kiosk: the journal
//! says so (`FocusCause::AssistiveTechnology`, which does not void a flagged candidate's answer)
//! and the kiosk does not pull itself back over them. Anything else is `FocusCause::Window`.
//!
//! The compositor does not say who has the focus (Wayland never does); the accessibility bus
//! does: the screen reader's application and whether one of its windows is active or showing.

use std::time::Duration;

use certroom_journal::FocusCause;

/// How long the screen reader's window may take to show after the kiosk lost the focus.
const LOOKS: u32 = 6;
const LOOK_EVERY: Duration = Duration::from_millis(150);
/// One D-Bus call's limit: a stuck bus must not hold the focus event long.
const CALL_TIMEOUT_MS: i32 = 500;

/// Screen readers by their accessible application name.
const SCREEN_READERS: [&str; 1] = ["orca"];

/// The cause of a focus loss that just happened, looking for a screen reader's window for up to
/// `LOOKS × LOOK_EVERY` when one runs.
pub fn cause_of_loss(screen_reader_running: bool) -> FocusCause {
    if screen_reader_running && look_until(true, LOOK_EVERY * LOOKS) {
        FocusCause::AssistiveTechnology
    } else {
        FocusCause::Window
    }
}

/// Waits, at most `max`, until no screen reader's window shows any more.
pub fn until_screen_reader_window_closed(max: Duration) {
    look_until(false, max);
}

/// Looks on the accessibility bus, every `LOOK_EVERY` for at most `max`, until a screen reader's
/// window is `shown` (or is not): whether it came to that. Looks first after one interval, since
/// a window that just took the focus may not say so at once.
fn look_until(shown: bool, max: Duration) -> bool {
    #[cfg(target_os = "linux")]
    if let Some(bus) = atspi::accessibility_bus() {
        let end = std::time::Instant::now() + max;
        while std::time::Instant::now() < end {
            std::thread::sleep(LOOK_EVERY);
            if atspi::screen_reader_window(&bus) == shown {
                return true;
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (shown, max);
    false
}

#[cfg(target_os = "linux")]
mod atspi {
    use gio::prelude::*;
    use gio::{glib, DBusCallFlags, DBusConnection, DBusConnectionFlags};

    use super::{CALL_TIMEOUT_MS, SCREEN_READERS};

    fn call(
        bus: &DBusConnection,
        dest: &str,
        path: &str,
        interface: &str,
        method: &str,
        args: Option<&glib::Variant>,
    ) -> Option<glib::Variant> {
        bus.call_sync(
            Some(dest),
            path,
            interface,
            method,
            args,
            None,
            DBusCallFlags::NONE,
            CALL_TIMEOUT_MS,
            gio::Cancellable::NONE,
        )
        .ok()
    }

    /// The accessibility bus of this session (`org.a11y.Bus` on the session bus gives its address).
    pub fn accessibility_bus() -> Option<DBusConnection> {
        let session = gio::bus_get_sync(gio::BusType::Session, gio::Cancellable::NONE).ok()?;
        let reply = call(
            &session,
            "org.a11y.Bus",
            "/org/a11y/bus",
            "org.a11y.Bus",
            "GetAddress",
            None,
        )?;
        let (address,): (String,) = reply.get()?;
        DBusConnection::for_address_sync(
            &address,
            DBusConnectionFlags::AUTHENTICATION_CLIENT
                | DBusConnectionFlags::MESSAGE_BUS_CONNECTION,
            None,
            gio::Cancellable::NONE,
        )
        .ok()
    }

    type Reference = (String, glib::variant::ObjectPath);

    fn children(bus: &DBusConnection, (dest, path): &Reference) -> Vec<Reference> {
        call(
            bus,
            dest,
            path.as_str(),
            "org.a11y.atspi.Accessible",
            "GetChildren",
            None,
        )
        .and_then(|r| r.get::<(Vec<Reference>,)>())
        .map(|(c,)| c)
        .unwrap_or_default()
    }

    fn name(bus: &DBusConnection, (dest, path): &Reference) -> Option<String> {
        let args = ("org.a11y.atspi.Accessible", "Name").to_variant();
        let reply = call(
            bus,
            dest,
            path.as_str(),
            "org.freedesktop.DBus.Properties",
            "Get",
            Some(&args),
        )?;
        // `(v)`: the property's value, boxed once more by the reply.
        let mut value = reply.child_value(0);
        while let Some(inner) = value.as_variant() {
            value = inner;
        }
        value.str().map(str::to_owned)
    }

    /// AT-SPI's state bits (`AtspiStateType`), in the first word of `GetState`.
    const ACTIVE: u32 = 1 << 1;
    const SHOWING: u32 = 1 << 25;

    fn shown(bus: &DBusConnection, (dest, path): &Reference) -> bool {
        call(
            bus,
            dest,
            path.as_str(),
            "org.a11y.atspi.Accessible",
            "GetState",
            None,
        )
        .and_then(|r| r.get::<(Vec<u32>,)>())
        .and_then(|(words,)| words.first().copied())
        .is_some_and(|w| w & (ACTIVE | SHOWING) != 0)
    }

    /// Whether a screen reader's application has a window shown.
    pub fn screen_reader_window(bus: &DBusConnection) -> bool {
        let Ok(path) =
            glib::variant::ObjectPath::try_from("/org/a11y/atspi/accessible/root".to_owned())
        else {
            return false;
        };
        let root = ("org.a11y.atspi.Registry".to_owned(), path);
        children(bus, &root).iter().any(|app| {
            let name = name(bus, app).unwrap_or_default().to_lowercase();
            SCREEN_READERS.contains(&name.as_str()) && {
                let windows = children(bus, app);
                let shown = windows.iter().filter(|w| shown(bus, w)).count();
                tracing::debug!(
                    app = name,
                    windows = windows.len(),
                    shown,
                    "screen reader's windows"
                );
                shown > 0
            }
        })
    }
}
