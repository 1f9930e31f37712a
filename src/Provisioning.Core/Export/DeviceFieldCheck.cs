using Provisioning.Core.Api;

namespace Provisioning.Core.Export;

/// <summary>
/// The rules of docs/schemas/device-keys.xsd that a value from the store could break, checked before it is written:
/// a writer must never produce a file its own schema rejects.
/// </summary>
internal sealed class DeviceFieldCheck
{
    /// <summary>Largest encrypted root key the format carries: an RSA key of 16384 bits.</summary>
    public const int MaxRootKeyBytes = 2048;
    /// <summary>Longest app id, key or extra hex string.</summary>
    public const int MaxHexLength = 65536;

    // Every device of an export normally carries the same algorithm and fingerprint: check each distinct value once.
    private string? _goodAlgorithm, _goodFingerprint;

    public void Check(ExportedDevice device, ulong configId)
    {
        if (device.ConfigId != configId)
            throw Bad(device, $"it belongs to config {device.ConfigId}, but this export is of config {configId}");
        if (device.Status is not (DeviceStatus.Confirmed or DeviceStatus.Pending))
            throw Bad(device, $"its status '{device.Status}' is neither {DeviceStatus.Confirmed} nor {DeviceStatus.Pending}");
        if (device.EncryptedRootKey is not { Length: > 0 and <= MaxRootKeyBytes })
            throw Bad(device, $"its encrypted root key is {device.EncryptedRootKey?.Length ?? 0} bytes long; the format carries 1 to {MaxRootKeyBytes}");

        if (!string.Equals(device.KeyAlgorithm, _goodAlgorithm, StringComparison.Ordinal))
        {
            if (!IsAlgorithm(device.KeyAlgorithm))
                throw Bad(device, $"its key algorithm '{device.KeyAlgorithm}' is not a name of 1 to 64 letters, digits, '-' or '_'");
            _goodAlgorithm = device.KeyAlgorithm;
        }
        if (!string.Equals(device.KmsKeyFingerprint, _goodFingerprint, StringComparison.Ordinal))
        {
            if (!IsFingerprint(device.KmsKeyFingerprint))
                throw Bad(device, $"its KMS key fingerprint '{device.KmsKeyFingerprint}' is not 'SHA256:' and 64 lower-case hexadecimal digits");
            _goodFingerprint = device.KmsKeyFingerprint;
        }

        CheckApps(Who(device), device.Apps);
    }

    /// <summary>A host record: its config and status, at least one app, and the apps' names and hex.</summary>
    public static void Check(ExportedHostRecord host, ulong configId)
    {
        string who = Who(host);
        if (host.ConfigId != configId)
            throw Bad(who, $"it belongs to config {host.ConfigId}, but this export is of config {configId}");
        if (host.Status is not (DeviceStatus.Confirmed or DeviceStatus.Pending))
            throw Bad(who, $"its status '{host.Status}' is neither {DeviceStatus.Confirmed} nor {DeviceStatus.Pending}");
        if (host.Apps.Count == 0)
            throw Bad(who, "it holds no application data");
        CheckApps(who, host.Apps);
    }

    private static void CheckApps(string who, IReadOnlyList<DeviceApp> apps)
    {
        foreach (var app in apps)
        {
            if (!IsAppName(app.Name))
                throw Bad(who, $"it has an app named '{app.Name}'; app names are 1 to 128 letters, digits, '.', '-' or '_'");
            CheckHex(who, app.Name, "id", app.Id);
            CheckHex(who, app.Name, "key", app.Key);
            CheckHex(who, app.Name, "extra", app.Extra);
        }
    }

    public static void CheckHeader(KeyExportHeader header)
    {
        if (header.ExportId < 0)
            throw new ArgumentException($"The export ID {header.ExportId} is negative; export IDs are 0 or more.", nameof(header));
        if (header.ServerVersion is not { Length: > 0 and <= 128 } || header.ServerVersion.Any(c => c is <= ' ' or > '~'))
            throw new ArgumentException($"The server version '{header.ServerVersion}' must be 1 to 128 printable ASCII characters without blanks.", nameof(header));
        foreach (var (text, name) in new[] { (header.Batch, RangeList.BatchFilter), (header.NodeId, RangeList.NodeIdFilter) })
            if (text is not null && text.Any(char.IsControl))
                throw new ArgumentException($"The {name} filter text contains control characters, which the export file cannot carry.", nameof(header));
    }

    private static void CheckHex(string device, string app, string field, string? hex)
    {
        if (hex is null)
            return;
        if (hex.Length > MaxHexLength)
            throw Bad(device, $"the {field} of app '{app}' is {hex.Length} characters long; the format carries at most {MaxHexLength}");
        foreach (var c in hex)
            if (!char.IsAsciiHexDigit(c))
                throw Bad(device, $"the {field} of app '{app}' is not a hexadecimal string");
    }

    private static bool IsAlgorithm(string? text) =>
        text is { Length: > 0 and <= 64 } && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static bool IsFingerprint(string? text) =>
        text is { Length: 71 } && text.StartsWith("SHA256:", StringComparison.Ordinal)
        && text.AsSpan(7).IndexOfAnyExcept("0123456789abcdef") < 0;

    private static bool IsAppName(string? text) =>
        text is { Length: > 0 and <= 128 } && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    private static string Who(ExportedDevice device) => $"Device 0x{device.NodeId:X8}";

    private static string Who(ExportedHostRecord host) =>
        host.NodeId is { } node ? $"The host record of node 0x{node:X8}" : $"The host record of batch {host.Batch} made {host.Timestamp:u}";

    private static ArgumentException Bad(ExportedDevice device, string problem) => Bad(Who(device), problem);

    private static ArgumentException Bad(string who, string problem) =>
        new($"{who} cannot be exported: {problem}. Correct its record on the server, or leave it out of the export with the NodeId filter.", "device");
}
