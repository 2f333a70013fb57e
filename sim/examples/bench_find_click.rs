//! How fast the virtual farm answers a test's commonest pair of commands:
//! find an element by accessibility id, then click it.
//!
//! ```text
//! cargo run --release -p mitid-sim --example bench_find_click [ROUND_TRIPS]
//! ```
//!
//! Starts a farm on a free loopback port, opens a session on a new phone
//! with appium-client (the WebDriver stack the tests use), walks to the
//! "Copy from another MitID app" screen and times ROUND_TRIPS (default 500)
//! round trips of find `qr_shown_checkbox` + click, which ticks and unticks
//! "QR code is shown on the old app". Each round trip is two HTTP requests
//! over one keep-alive connection. It prints figures; it asserts nothing.

use std::time::{Duration, Instant};

use appium_client::capabilities::empty::EmptyCapabilities;
use appium_client::capabilities::AppiumCapability;
use appium_client::find::{AppiumFind, By};
use appium_client::ClientBuilder;
use mitid_sim::{FarmConfig, RunningFarm};

const UDID: &str = "android-14-a2";
const CHECKBOX: &str = "qr_shown_checkbox";
/// Round trips run first and not counted: connection set-up, caches.
const WARM_UP: usize = 20;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        None => 500,
        Some(arg) => match arg.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("usage: bench_find_click [ROUND_TRIPS]   (a whole number above 0, default 500; got '{arg}')");
                std::process::exit(2);
            }
        },
    };

    let farm = RunningFarm::start(FarmConfig::default(), 0).await?;
    let mut caps = EmptyCapabilities::new();
    caps.set_str("appium:udid", UDID);
    let client = ClientBuilder::native(caps).connect(&farm.url()).await?;

    // The new phone: welcome -> how to activate -> "Copy from another MitID app".
    for id in ["get_started", "method_copy", "method_next"] {
        client.find_by(By::accessibility_id(id)).await?.click().await?;
    }

    let round_trip = || async {
        let started = Instant::now();
        client.find_by(By::accessibility_id(CHECKBOX)).await?.click().await?;
        Ok::<Duration, fantoccini::error::CmdError>(started.elapsed())
    };
    for _ in 0..WARM_UP {
        round_trip().await?;
    }
    let mut times = Vec::with_capacity(n);
    let all = Instant::now();
    for _ in 0..n {
        times.push(round_trip().await?);
    }
    let wall = all.elapsed();
    let ticked = client.find_by(By::accessibility_id(CHECKBOX)).await?.is_selected().await?;

    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pick = |q: f64| times[((n as f64 * q).ceil() as usize).clamp(1, n) - 1];
    let mean = times.iter().sum::<Duration>() / n as u32;
    println!("bench_find_click: {n} round trips of find-by-accessibility-id '{CHECKBOX}' + click on {UDID}");
    println!("  ({WARM_UP} warm-up round trips not counted; farm at {}; {} build)", farm.url(), build());
    println!("  min    {:8.3} ms", ms(times[0]));
    println!("  median {:8.3} ms", ms(pick(0.5)));
    println!("  p95    {:8.3} ms", ms(pick(0.95)));
    println!("  mean   {:8.3} ms", ms(mean));
    println!("  max    {:8.3} ms", ms(times[n - 1]));
    println!(
        "  {:.0} round trips/s ({:.0} requests/s) over {:.3} s",
        n as f64 / wall.as_secs_f64(),
        2.0 * n as f64 / wall.as_secs_f64(),
        wall.as_secs_f64()
    );
    println!("  checkbox ticked at the end: {ticked} (after {} clicks)", WARM_UP + n);

    let client: fantoccini::Client = (*client).clone();
    client.close().await?;
    farm.stop();
    Ok(())
}

fn build() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}
