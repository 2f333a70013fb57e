//! How fast the virtual farm answers a test's commonest pair of commands:
//! find an element by accessibility id, then click it.
//!
//! ```text
//! cargo run --release -p mitid-sim --example bench_find_click [ROUND_TRIPS] [--figure]
//! ```
//!
//! Starts a farm on a free loopback port, opens a session on a new phone
//! with appium-client (the WebDriver stack the tests use), walks to the
//! "Copy from another MitID app" screen and times ROUND_TRIPS (default 500)
//! round trips of find `qr_shown_checkbox` + click, which ticks and unticks
//! "QR code is shown on the old app". Each round trip is two HTTP requests
//! over one keep-alive connection. It prints figures; it asserts nothing.
//! `--figure` also writes them to `docs/src/figures/find-click.md`, which
//! the book includes (The virtual farm, Speed).

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
    let usage = "usage: bench_find_click [ROUND_TRIPS] [--figure]   (ROUND_TRIPS a whole number above 0, default 500)";
    let (mut n, mut figure) = (500, false);
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--figure" => figure = true,
            _ => match arg.parse() {
                Ok(count) if count > 0 => n = count,
                _ => {
                    eprintln!("{usage}; got '{arg}'");
                    std::process::exit(2);
                }
            },
        }
    }

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
    if figure {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/src/figures/find-click.md");
        let text = format!(
            "<!-- written by bench_find_click --figure: measure again rather than edit -->\n\
             A find-by-accessibility-id plus click round trip takes **{:.2} ms median** (least {:.2}, p95 {:.2} ms), \
             about {:.0} round trips per second: {n} round trips on one session over one kept-open connection, \
             {} build, {} cores; measured {} with `cargo run --release -p mitid-sim --example bench_find_click {n} --figure`.\n",
            ms(pick(0.5)),
            ms(times[0]),
            ms(pick(0.95)),
            n as f64 / wall.as_secs_f64(),
            build(),
            std::thread::available_parallelism().map_or(0, |c| c.get()),
            today(),
        );
        std::fs::write(path, text)?;
        println!("written to docs/src/figures/find-click.md");
    }

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

/// Today's date (UTC), as the figure says when it was measured: `date`'s,
/// rather than a third copy of the days-to-date sum.
fn today() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%F"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "on a day `date` could not tell".to_owned(), |d| d.trim().to_owned())
}
