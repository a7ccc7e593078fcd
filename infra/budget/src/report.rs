//! The two Markdown tables: the figures, then the targets.

use crate::measure::{ms, percentile, Figures};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// 12 MB in the strict (decimal) sense: the stricter reading of the target.
const SIZE_LIMIT_BYTES: u64 = 12_000_000;
const INIT_FACTOR_LIMIT: f64 = 2.0;
const WARM_LIMIT: Duration = Duration::from_millis(2);
/// The binaries the warm target applies to.
const WARM_TARGET_BINARIES: [&str; 2] = ["intake", "status"];

fn format_mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

fn format_calls(calls: &BTreeMap<String, f64>) -> String {
    if calls.is_empty() {
        return "-".to_string();
    }
    let each = calls.iter().map(|(op, n)| {
        let op = op.rsplit('.').next().unwrap_or(op);
        if (n - n.round()).abs() < 0.005 {
            format!("{op} {n:.0}")
        } else {
            format!("{op} {n:.2}")
        }
    });
    each.collect::<Vec<_>>().join(", ")
}

/// Prints both tables; whether every target is met. `all[0]` is the floor.
pub fn print_tables(all: &[Figures]) -> bool {
    let floor = &all[0];
    print_figures(all, floor);
    let mut targets = Targets { ok: true };
    targets.print(all, floor);
    targets.ok
}

fn print_figures(all: &[Figures], floor: &Figures) {
    println!();
    println!("| function | size (stripped) | init p50 (min-max) | 1st invocation p50 | warm p50 / p90 / p99 | of which endpoint, p50 | peak RSS | calls at init | calls per invocation |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
    for f in all {
        let label = if f.name == floor.name {
            format!("{} (floor)", f.name)
        } else {
            f.name.clone()
        };
        let p = |samples: &[f64], p: f64| percentile(samples, p);
        println!(
            "| {label} | {} | {:.1} ms ({:.1}-{:.1}) | {:.2} ms | {:.3} / {:.3} / {:.3} ms | {:.3} ms | {:.1} MB | {} | {} |",
            format_mb(f.size_bytes),
            p(&f.init_ms, 50.0),
            p(&f.init_ms, 0.0),
            p(&f.init_ms, 100.0),
            p(&f.first_ms, 50.0),
            p(&f.warm_ms, 50.0),
            p(&f.warm_ms, 90.0),
            p(&f.warm_ms, 99.0),
            p(&f.endpoint_ms, 50.0),
            f.peak_rss_kb as f64 / 1024.0,
            format_calls(&f.init_calls),
            format_calls(&f.aws_calls),
        );
    }
}

struct Targets {
    ok: bool,
}

impl Targets {
    fn row(&mut self, target: &str, name: &str, measured: String, limit: String, pass: bool) {
        self.ok &= pass;
        let verdict = if pass { "ok" } else { "MISSED" };
        println!("| {target} | {name} | {measured} | {limit} | {verdict} |");
    }

    fn print(&mut self, all: &[Figures], floor: &Figures) {
        println!();
        println!("| target | function | measured | limit | |");
        println!("| --- | --- | ---: | ---: | --- |");
        let floor_init = percentile(&floor.init_ms, 50.0);
        for f in all.iter().filter(|f| f.name != floor.name) {
            let init = percentile(&f.init_ms, 50.0);
            let measured = format!(
                "{init:.1} ms ({:.2}x, +{:.1} ms)",
                init / floor_init,
                init - floor_init
            );
            let limit = floor_init * INIT_FACTOR_LIMIT;
            let pass = init <= limit;
            self.row(
                "init p50 <= 2x floor",
                &f.name,
                measured,
                format!("{limit:.1} ms"),
                pass,
            );
        }
        // Once per binary (a binary measured with several events is one file).
        let mut seen = HashSet::new();
        for f in all.iter().filter(|f| seen.insert(f.binary.clone())) {
            let (size, limit) = (format_mb(f.size_bytes), format_mb(SIZE_LIMIT_BYTES));
            let pass = f.size_bytes < SIZE_LIMIT_BYTES;
            self.row("size < 12 MB", &f.binary, size, limit, pass);
        }
        let warm_targets = all
            .iter()
            .filter(|f| WARM_TARGET_BINARIES.contains(&f.binary.as_str()));
        for f in warm_targets {
            let warm = percentile(&f.warm_ms, 50.0);
            let limit = ms(WARM_LIMIT);
            let (measured, limit_text) = (format!("{warm:.3} ms"), format!("{limit:.0} ms"));
            self.row(
                "warm p50 < 2 ms",
                &f.name,
                measured,
                limit_text,
                warm < limit,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_read_as_operations_per_invocation() {
        let calls = BTreeMap::from([
            ("DynamoDB_20120810.GetItem".to_string(), 1.0),
            ("AmazonSQS.SendMessage".to_string(), 1.5),
        ]);
        assert_eq!(format_calls(&calls), "SendMessage 1.50, GetItem 1");
        assert_eq!(format_calls(&BTreeMap::new()), "-");
        assert_eq!(format_mb(11_217_280), "11.22 MB");
    }
}
