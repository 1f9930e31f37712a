using System.CommandLine;

namespace Provisioning.Cli;

/// <summary>
/// The options every command of the client shares: the line to the device, the provisioning server and how to trust
/// it, the configuration and batch, logging, and the station's timeouts (the guide's Table 3 and the common rows of its
/// Tables 8-16). Each command gets its own instances, so its help lists them in its own order. docs/cli.md maps each to
/// the guide.
/// </summary>
internal abstract class LineOptions
{
    /// <summary>The command with every option.</summary>
    public abstract Command Command { get; }

    /// <summary>How the command is named in messages ("provisioning_client", "emcm_factory", "provisioning_client emcm_factory").</summary>
    public string DisplayName { get; set; } = "provisioning_client";

    public Option<string> Device { get; } = new("--device", "-d")
    {
        Description = "The port of the device (the node, or the eMCM in front of it): a serial device (/dev/ttyUSB0, COM3) or tcp://host:port (a device server or a node simulator).",
        HelpName = "serial_port",
    };

    public Option<string> Server { get; } = new("--server", "-s", "--prov_srvr")
    {
        Description = "The provisioning server, ip_addr[:port] (port 8085 when none is given), or a whole address https://host:port. HTTPS unless --disable-ssl.",
        HelpName = "ip_addr[:port]",
    };

    public Option<string> Batch { get; } = new("--batch", "-B")
    {
        Description = "The batch number of this run: decimal, 0x hex, or octal with a leading 0 (guide 7.2.4); unsigned 32-bit.",
        HelpName = "provisioning_batch",
    };

    public Option<string> ConfigId { get; } = new("--config-id", "-p", "--config_id")
    {
        Description = "The provisioning configuration ID (64-bit, decimal or 0x hex). Give this or --config-alias.",
        HelpName = "prov_config_id",
    };

    public Option<string> ConfigAlias { get; } = new("--config-alias", "--config_alias")
    {
        Description = "A configuration alias the server maps to its configuration ID, instead of --config-id.",
        HelpName = "config_name",
    };

    public Option<bool> DisableSsl { get; } = new("--disable-ssl", "--disable_ssl")
    {
        Description = "Plain HTTP to the server (the server must serve HTTP; keys then travel unprotected unless the server refuses them).",
    };

    public Option<int> Baud { get; } = new("--baud", "-b")
    {
        Description = "The serial baud rate (default 115200); for tcp:// the rate of the line behind the device server, which the timeouts follow.",
        HelpName = "BAUD",
        DefaultValueFactory = _ => Core.Transport.NodeTransport.DefaultBaudRate,
    };

    public Option<string> Wrapper { get; } = new("--wrapper", "-wrapper")
    {
        Description = "Protocol wrapper on the serial line (guide Appendix B): none (default), orw, reliable, opt_psem.",
        HelpName = "WRAPPER_TYPE",
        DefaultValueFactory = _ => Core.Wrappers.TransportWrappers.None,
    };

    public Option<bool> SkipLock { get; } = new("--skip_lock", "--skip-lock")
    {
        Description = "Leaves the host port and the flash/JTAG interfaces unlocked.",
    };

    public Option<int> Verbosity { get; } = new("--verbosity")
    {
        Description = "0 prints critical errors only to stdout; 1 warnings and above, and the result (default); 2 debug and above.",
        HelpName = "0-2",
        DefaultValueFactory = _ => 1,
    };

    public Option<string> LogFile { get; } = new("--logfile")
    {
        Description = "Writes a timestamped log of the device (port, node ID, step timings, resends, codes) to this file, appended; a folder gets one file per run.",
        HelpName = "logname",
    };

    public Option<string> PathTranslateFrom { get; } = new("--path_trans_from", "--path-trans-from")
    {
        Description = "Shared file repository mode: the start of the file paths the server names, to rewrite (e.g. /workspace).",
        HelpName = "string",
    };

    public Option<string> PathTranslateTo { get; } = new("--path_trans_to", "--path-trans-to")
    {
        Description = "What --path_trans_from becomes on this station (e.g. z:).",
        HelpName = "string",
    };

    public Option<string> TokenFile { get; } = new("--token-file")
    {
        Description = "A file holding the station token (New-ProvStationToken). Default: the environment variable PROV_STATION_TOKEN.",
        HelpName = "path",
    };

    public Option<string> Certificate { get; } = new("--certificate")
    {
        Description = "The station's client certificate with its key (PFX, or PEM with key). Its password comes from the environment variable PROV_CERTIFICATE_PASSWORD, or is asked for.",
        HelpName = "path",
    };

    public Option<string> CaCertificate { get; } = new("--ca-certificate")
    {
        Description = "The server's CA certificate (its tls/ca.crt): the server's certificate must chain to it.",
        HelpName = "path",
    };

    public Option<string[]> CertificateThumbprint { get; } = new("--certificate-thumbprint")
    {
        Description = "SHA-256 fingerprint of the server's certificate or of its CA, checked with the server's operator (repeatable).",
        HelpName = "sha256",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<double?> FirstContactTimeout { get; } = new("--first-contact-timeout")
    {
        Description = "Seconds the node may take to answer at all before the port counts as empty (code 4). Default: from baud and wrapper (2 for none and orw).",
        HelpName = "seconds",
    };

    public Option<double?> ResponseTimeout { get; } = new("--response-timeout")
    {
        Description = "Base seconds for each later answer, on top of the line time of what is in flight. Default: from baud and wrapper (2 for none and orw).",
        HelpName = "seconds",
    };

    public Option<int?> Resends { get; } = new("--resends")
    {
        Description = "How many times a message is sent again before the device fails (code 36). Default: from the wrapper (3 for none and orw).",
        HelpName = "count",
    };

    public Option<int?> MaxMessageSize { get; } = new("--max-message-size")
    {
        Description = "Largest message, wrapping included, the host takes (its receive buffer). Default: the wrapper's (orw: 512).",
        HelpName = "bytes",
    };

    public Option<bool> Force { get; } = new("--force")
    {
        Description = "Writes firmware and configuration even when the node already has them.",
    };

    /// <summary>Range checks of the shared options.</summary>
    protected LineOptions()
    {
        Check(Verbosity, v => v is >= 0 and <= 2, "--verbosity takes 0, 1 or 2.");
        Check(Baud, b => b is >= 50 and <= 4_000_000, "--baud takes a rate from 50 to 4000000.");
        Check(MaxMessageSize, m => m is null or (>= 64 and <= 65535), "--max-message-size takes 64 to 65535 bytes.");
    }

    /// <summary>The guide's --factory-config (the node client and emcm_provision).</summary>
    protected static Option<bool> FactoryConfigOption(string description) => new("--factory-config", "--factory_config") { Description = description };

    /// <summary>The guide's --skip-keys (the node client and emcm_provision).</summary>
    protected static Option<bool> SkipKeysOption(string description) => new("--skip-keys", "--skip_keys") { Description = description };

    /// <summary>Adds the shared options to <paramref name="command"/>, in the order the help lists them, around the command's own.</summary>
    protected void AddTo(Command command, IEnumerable<Option> connection, IEnumerable<Option> final)
    {
        foreach (var option in new Option[] { Device, Baud, Wrapper, Server, DisableSsl }.Concat(connection)) command.Options.Add(option);
        foreach (var option in new Option[] { ConfigId, ConfigAlias }.Concat(final).Append(SkipLock)) command.Options.Add(option);
        foreach (var option in new Option[] { Batch, Verbosity, LogFile, PathTranslateFrom, PathTranslateTo, TokenFile, Certificate, CaCertificate,
            CertificateThumbprint, FirstContactTimeout, ResponseTimeout, Resends, MaxMessageSize, Force }) command.Options.Add(option);
    }

    /// <summary>A range check on a value that parsed; one that did not is already an error of its own.</summary>
    protected static void Check<T>(Option<T> option, Func<T?, bool> ok, string message) => option.Validators.Add(result =>
    {
        T? value;
        try { value = result.GetValueOrDefault<T>(); }
        catch (InvalidOperationException) { return; }
        if (!ok(value)) result.AddError(message);
    });

    /// <summary>Seconds as a TimeSpan, or null when not given.</summary>
    public static TimeSpan? Seconds(double? value) => value is { } s ? (double.IsFinite(s) && Math.Abs(s) < 1e9 ? TimeSpan.FromSeconds(s) : TimeSpan.MaxValue) : null;
}
