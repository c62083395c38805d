import ABICore

/// Which profile a device uses and what bound it: the udev rule's `ABI_PROFILE`, then the
/// user's binding of its serial number, then an explicit `--profile`.
public enum ProfileBinding: String, Sendable {
    case udev, binding, option

    public static func resolve(_ device: TTYDevice, bindings: Bindings, option: String?) -> (profile: String, boundBy: ProfileBinding)? {
        if let profile = device.udevProfile { return (profile, .udev) }
        if let serial = device.serial, let profile = bindings.profiles[serial] { return (profile, .binding) }
        if let option { return (option, .option) }
        return nil
    }
}
