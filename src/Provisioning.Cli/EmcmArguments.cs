using System.CommandLine;
using Provisioning.Core.Emcm;
using Provisioning.Core.Gateway;
using Provisioning.Core.Station;

namespace Provisioning.Cli;

/// <summary>
/// The eMCM half of one call of emcm_provision or emcm_factory: the operation, the partial MCM ID and the gateway, checked
/// (code 3 before the port or the server is touched) and mapped to the <see cref="EmcmRequest"/> that Invoke-EmcmProvision
/// and Invoke-EmcmFactoryStage build from their parameters.
/// </summary>
internal sealed class EmcmArguments(EmcmOptions options, ParseResult parsed)
{
    /// <summary>The emcm_factory operation; null for emcm_provision (or when it is missing or wrong: see <see cref="Problem"/>).</summary>
    public EmcmFactoryStage? Stage => options is EmcmFactoryOptions f ? ParseStage(parsed.GetValue(f.Operation)) : null;

    /// <summary>The guide's operation names (any case) as stages.</summary>
    public static EmcmFactoryStage? ParseStage(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        "PRETEST" => EmcmFactoryStage.PreTest,
        "CHECKCONFIG" => EmcmFactoryStage.CheckConfig,
        "POSTTEST" => EmcmFactoryStage.PostTest,
        _ => null,
    };

    /// <summary>What is wrong with the eMCM arguments (code 3), or null.</summary>
    public string? Problem()
    {
        if (options is not EmcmFactoryOptions factory) return null;
        string? operation = parsed.GetValue(factory.Operation);
        if (string.IsNullOrWhiteSpace(operation))
            return $"No operation given: end the command line with PRETEST, CHECKCONFIG or POSTTEST (guide Table 12), e.g. {options.DisplayName} -d COM3 -s 192.168.2.35 -g 192.168.6.77 -B 1000 --config-alias=82JX570141 PRETEST.";
        if (ParseStage(operation) is null)
            return $"'{operation.Trim()}' is not an operation of {options.DisplayName}: give PRETEST, CHECKCONFIG or POSTTEST (guide Table 12).";
        if (parsed.GetValue(factory.EnableSsl) && parsed.GetValue(factory.DisableSsl))
            return "--enable-ssl and --disable-ssl ask for opposite things: give one (HTTPS is the default).";
        if (parsed.GetValue(factory.EnableSsl) && parsed.GetValue(factory.Server)?.Trim().StartsWith("http://", StringComparison.OrdinalIgnoreCase) == true)
            return $"--enable-ssl asks for HTTPS, but the server is given as {parsed.GetValue(factory.Server)!.Trim()}: give one or the other.";
        string host = Host(parsed.GetValue(factory.Gateway));
        if (host.Length == 0 || Uri.CheckHostName(host) == UriHostNameType.Unknown)
            return $"-g/--gateway takes the gateway's host name or IP address (e.g. -g 192.168.6.77); '{parsed.GetValue(factory.Gateway)}' is neither. Its control port goes in --control_port.";
        if (!parsed.GetValue(factory.GatewayTls) && (parsed.GetValue(factory.GatewayCaCertificate) is not null || parsed.GetValue(factory.GatewayCertificate) is not null))
            return "--gateway-ca-certificate and --gateway-certificate are for a gateway reached over TLS: add --gateway-tls, or leave them out.";
        return null;
    }

    /// <summary>The request for the provisioner: the node line's parameters plus the eMCM's.</summary>
    public EmcmRequest Request(ProvisionRequest line)
    {
        var request = new EmcmRequest(line)
        {
            AppName = parsed.GetValue(options.AppName)!.Trim(),
            PartialMcmId = parsed.GetValue(options.PartialMcmId) is { } partial && partial.Trim().Length > 0 ? partial.Trim().ToUpperInvariant() : null,
        };
        if (options is not EmcmFactoryOptions factory) return request;
        string? ca = parsed.GetValue(factory.GatewayCaCertificate), certificate = parsed.GetValue(factory.GatewayCertificate);
        return request with
        {
            Gateway = new GatewayOptions
            {
                Host = Host(parsed.GetValue(factory.Gateway)),
                ControlPort = parsed.GetValue(factory.ControlPort),
                Csys1x = parsed.GetValue(factory.Csys1x),
                UseTls = parsed.GetValue(factory.GatewayTls),
                CaCertificatePath = ca is null ? null : Path.GetFullPath(ca),
                CertificatePath = certificate is null ? null : Path.GetFullPath(certificate),
            },
            OtaTimeout = TimeSpan.FromSeconds(parsed.GetValue(factory.Timeout)),
        };
    }

    /// <summary>The gateway's host as typed, without the brackets of an IPv6 literal.</summary>
    private static string Host(string? text)
    {
        string host = text?.Trim() ?? "";
        return host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
    }
}
