namespace Provisioning.Core.Station;

/// <summary>The provisioning client's return codes (guide Table 4). The numeric values are the guide's.</summary>
public enum ProvExitCode
{
    /// <summary>0: successful operation.</summary>
    Success = 0,
    /// <summary>2: internal software error.</summary>
    InternalError = 2,
    /// <summary>3: invalid arguments.</summary>
    InvalidArguments = 3,
    /// <summary>4: unable to communicate with the device under test.</summary>
    NoDevice = 4,
    /// <summary>14: unknown error.</summary>
    Unknown = 14,
    /// <summary>36: a message to the node failed.</summary>
    NodeMessageFailed = 36,
    /// <summary>37: the node returned an unexpected error.</summary>
    NodeError = 37,
    /// <summary>38: verification of node provisioning failed.</summary>
    VerifyFailed = 38,
    /// <summary>39: node version incompatible with the provisioning version.</summary>
    NodeVersionIncompatible = 39,
    /// <summary>40: node hardware type incompatible.</summary>
    HardwareTypeIncompatible = 40,
    /// <summary>41: node calibration information incompatible.</summary>
    CalibrationIncompatible = 41,
    /// <summary>42: node configuration information incompatible.</summary>
    ConfigInfoIncompatible = 42,
    /// <summary>43: node firmware from the server unavailable or does not match the node type.</summary>
    FirmwareUnavailable = 43,
    /// <summary>44: node configuration from the server unavailable or invalid.</summary>
    ConfigUnavailable = 44,
    /// <summary>68: unable to communicate with the device under test (host side).</summary>
    NoDeviceHost = 68,
    /// <summary>69: the host (e.g. eMCM) returned an unexpected error.</summary>
    HostError = 69,
    /// <summary>70: verification of host (e.g. eMCM) provisioning failed.</summary>
    HostVerifyFailed = 70,
    /// <summary>72: the host (e.g. eMCM) reported failing or invalid hardware.</summary>
    HostHardwareFailed = 72,
    /// <summary>75: host firmware from the server unavailable or does not match the host type.</summary>
    HostFirmwareUnavailable = 75,
    /// <summary>76: host configuration from the server unavailable or invalid.</summary>
    HostConfigUnavailable = 76,
    /// <summary>100: provisioning server unreachable.</summary>
    ServerUnreachable = 100,
    /// <summary>101: provisioning server returned an error response.</summary>
    ServerError = 101,
    /// <summary>102: response from the server invalid, or a file hash mismatches.</summary>
    ServerResponseInvalid = 102,
    /// <summary>108: unable to open a file from the server.</summary>
    FileUnavailable = 108,
    /// <summary>132: gateway unreachable.</summary>
    GatewayUnreachable = 132,
    /// <summary>133: the gateway returned an unexpected error.</summary>
    GatewayError = 133,
    /// <summary>134: the device under test did not join the gateway correctly.</summary>
    GatewayJoinFailed = 134,
    /// <summary>140: gateway message library not found (no message set for the gateway's system version).</summary>
    GatewayLibraryMissing = 140,
    /// <summary>141: gateway SSL certificates not found.</summary>
    GatewayCertificatesMissing = 141,
    /// <summary>164: application-specific communication failure; for an eMCM, it cannot communicate with its meter.</summary>
    ApplicationLinkFailed = 164,
}

/// <summary>Text for <see cref="ProvExitCode"/> values: the guide's interpretation and corrective action.</summary>
public static class ProvExitCodes
{
    /// <summary>The guide's interpretation of a code (Table 4), e.g. "Message to node failed".</summary>
    public static string Interpretation(ProvExitCode code) => code switch
    {
        ProvExitCode.Success => "Successful operation",
        ProvExitCode.InternalError => "Internal software error",
        ProvExitCode.InvalidArguments => "Invalid arguments",
        ProvExitCode.NoDevice or ProvExitCode.NoDeviceHost => "Unable to communicate with device under test",
        ProvExitCode.NodeMessageFailed => "Message to node failed",
        ProvExitCode.NodeError => "Node returned unexpected error",
        ProvExitCode.VerifyFailed => "Verification of node provisioning failed",
        ProvExitCode.NodeVersionIncompatible => "Node version incompatible with provisioning version",
        ProvExitCode.HardwareTypeIncompatible => "Node HW type incompatible with provisioning version",
        ProvExitCode.CalibrationIncompatible => "Node calibration information incompatible with provisioning version",
        ProvExitCode.ConfigInfoIncompatible => "Node configuration information incompatible with provisioning version",
        ProvExitCode.FirmwareUnavailable => "Node firmware from prov. server unavailable or doesn't match node type",
        ProvExitCode.ConfigUnavailable => "Node configuration from prov. server unavailable or invalid",
        ProvExitCode.ServerUnreachable => "Provisioning server unreachable",
        ProvExitCode.ServerError => "Provisioning server returned error response",
        ProvExitCode.ServerResponseInvalid => "Response from provisioning server invalid or file signature mismatches",
        ProvExitCode.FileUnavailable => "Unable to open file from provisioning server",
        ProvExitCode.HostError => "Host (e.g., eMCM) returned unexpected error",
        ProvExitCode.HostVerifyFailed => "Verification of host (e.g., eMCM) provisioning failed",
        ProvExitCode.HostHardwareFailed => "Host (e.g., eMCM) reported failing or invalid hardware",
        ProvExitCode.HostFirmwareUnavailable => "Host (e.g., eMCM) firmware from prov. server unavailable or doesn't match host type",
        ProvExitCode.HostConfigUnavailable => "Host (e.g., eMCM) configuration from prov. server unavailable or invalid",
        ProvExitCode.GatewayUnreachable => "Gateway unreachable",
        ProvExitCode.GatewayError => "Gateway returned unexpected error",
        ProvExitCode.GatewayJoinFailed => "Device under test did not join gateway correctly",
        ProvExitCode.GatewayLibraryMissing => "Gateway message library not found",
        ProvExitCode.GatewayCertificatesMissing => "Gateway SSL certificates not found",
        ProvExitCode.ApplicationLinkFailed => "Application-specific communication failure (the eMCM cannot communicate with its meter)",
        _ => "Unknown error",
    };

    /// <summary>The guide's corrective action (Table 5) for a code, as a sentence for an operator; empty on success.</summary>
    public static string CorrectiveAction(ProvExitCode code) => code switch
    {
        ProvExitCode.Success => "",
        ProvExitCode.InvalidArguments => "Check the arguments given to Invoke-NodeProvision.",
        ProvExitCode.NoDevice or ProvExitCode.NoDeviceHost =>
            "Check that the cable is plugged in, the port is the right one and the device is powered.",
        ProvExitCode.VerifyFailed or ProvExitCode.FirmwareUnavailable or ProvExitCode.ConfigUnavailable
            or ProvExitCode.ServerError or ProvExitCode.ServerResponseInvalid =>
            "Check that the config ID or alias is right and the current package is imported on the server; import it again if unsure.",
        ProvExitCode.ServerUnreachable => "Check that the provisioning server is running and reachable from this station.",
        ProvExitCode.FileUnavailable => "Check that the server's file repository is intact and the station can download from it.",
        ProvExitCode.HostVerifyFailed =>
            "Check that the config ID or alias is right and the current package is imported on the server; import it again if unsure.",
        ProvExitCode.HostFirmwareUnavailable or ProvExitCode.HostConfigUnavailable =>
            "Check that the config ID or alias is right and the current package (with the host's app bundle) is imported on the server; " +
            "in shared file system mode check that this station can read the share, otherwise that it may write its local folder.",
        ProvExitCode.GatewayUnreachable =>
            "Check that the gateway is running and reachable from this station (ping it, and check its status on the network's management system).",
        ProvExitCode.GatewayJoinFailed =>
            "Check that the access point is online and the device is in its range, and that any external antenna is attached correctly.",
        ProvExitCode.ApplicationLinkFailed =>
            "Check that the eMCM module is seated in the meter correctly, and that the meter is powered and configured to match the eMCM module.",
        _ => "Keep the station log and report the device to the line's engineer.",
    };
}
