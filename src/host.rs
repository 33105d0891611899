//! This computer's name, as the product shows it to people (the engine's application name in
//! the tenant, an agent's name, the address agents are told to deliver to).

/// The host name (`/etc/hostname`, else the kernel's, else Windows' `COMPUTERNAME`), if any.
pub fn name() -> Option<String> {
    ["/etc/hostname", "/proc/sys/kernel/hostname"]
        .iter()
        .filter_map(|file| std::fs::read_to_string(file).ok())
        .chain(std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .find(|h| !h.is_empty())
}
