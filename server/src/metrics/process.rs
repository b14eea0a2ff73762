//! The standard `process_*` metrics of a Linux process, read from `/proc` at each scrape
//! (prometheus-client has no process collector of its own).

/// What `/proc` says about this process.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProcessStats {
    /// User and system CPU time, seconds.
    pub cpu_seconds: f64,
    /// Resident set size, octets.
    pub resident_bytes: u64,
    /// Virtual memory size, octets.
    pub virtual_bytes: u64,
    /// Open file descriptors.
    pub open_fds: u64,
    /// The open-files limit.
    pub max_fds: u64,
    /// Start time, seconds since the epoch.
    pub start_time: f64,
}

/// Reads this process's stats; a field `/proc` cannot give stays 0.
pub fn read() -> ProcessStats {
    // SAFETY: sysconf takes no pointers.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut stats = ProcessStats::default();
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
        let fields = stat_fields(&stat);
        let field = |n: usize| fields.get(n).and_then(|f| f.parse::<u64>().ok());
        // Fields after the command, counted from 3 (state) as in proc(5): utime is 14,
        // stime 15, starttime 22; the slice below starts at field 3.
        let (utime, stime) = (field(14 - 3), field(15 - 3));
        stats.cpu_seconds = (utime.unwrap_or(0) + stime.unwrap_or(0)) as f64 / ticks;
        if let (Some(start), Some(boot)) = (field(22 - 3), boot_time()) {
            stats.start_time = boot as f64 + start as f64 / ticks;
        }
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        stats.resident_bytes = status_kib(&status, "VmRSS:") * 1024;
        stats.virtual_bytes = status_kib(&status, "VmSize:") * 1024;
    }
    stats.open_fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64);
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        stats.max_fds = limit.rlim_cur;
    }
    stats
}

/// The fields of `/proc/self/stat` after the command name (which may hold spaces and
/// parentheses: it ends at the last `)`), starting with the state (field 3).
fn stat_fields(stat: &str) -> Vec<&str> {
    stat.rfind(')')
        .map(|i| stat[i + 1..].split_whitespace().collect())
        .unwrap_or_default()
}

/// A `Key:   N kB` line of `/proc/self/status`, in KiB (0 when missing).
fn status_kib(status: &str, key: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The system's boot time, seconds since the epoch (`btime` of `/proc/stat`).
fn boot_time() -> Option<u64> {
    std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|n| n.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_name_may_hold_spaces_and_parentheses() {
        let stat = "42 (a b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20";
        let f = stat_fields(stat);
        assert_eq!(f[0], "S");
        assert_eq!(f[14 - 3], "11");
    }

    #[test]
    fn this_process_has_memory_fds_and_a_start_time() {
        let s = read();
        assert!(s.resident_bytes > 0);
        assert!(s.open_fds >= 3);
        assert!(s.max_fds >= s.open_fds);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(s.start_time > now - 3600.0 && s.start_time <= now + 1.0);
    }
}
