using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Provisioning.Core.Client;
using Provisioning.Core.Crypto;
using Provisioning.Core.Emcm;
using Provisioning.Core.Export;
using Provisioning.Core.Station;
using Provisioning.Core.Wrappers;

namespace Provisioning.Cli;

/// <summary>
/// One call of <c>provisioning_client</c> or of an eMCM command: the options become a <see cref="ProvisionRequest"/> for
/// one port, run by the same code as the cmdlets (<see cref="StationRun"/> for Invoke-NodeProvision,
/// <see cref="EmcmProvisioner"/> for Invoke-EmcmProvision and Invoke-EmcmFactoryStage); the device's Table 4 code is the
/// exit code.
/// </summary>
internal sealed class ClientRun(LineOptions options, ParseResult parsed, TextWriter output)
{
    /// <summary>Where the token comes from when no --token-file is given (an environment, not argv: argv is visible to every user).</summary>
    public const string TokenVariable = "PROV_STATION_TOKEN";

    /// <summary>The password of --certificate (else it is asked for on the terminal).</summary>
    public const string CertificatePasswordVariable = "PROV_CERTIFICATE_PASSWORD";

    /// <summary>The meter's C12.18 security password for --wrapper=opt_psem (Invoke-NodeProvision -OpticalPassword); none when unset.</summary>
    public const string OpticalPasswordVariable = "PROV_OPTICAL_PASSWORD";

    private StationLogLevel Threshold => parsed.GetValue(options.Verbosity) switch
    {
        0 => StationLogLevel.Critical,
        1 => StationLogLevel.Info,
        _ => StationLogLevel.Debug,
    };

    /// <summary>Provisions the device (or runs the eMCM operation); returns the exit code.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        string port = parsed.GetValue(options.Device)?.Trim() ?? "";
        string batchText = parsed.GetValue(options.Batch) ?? "";
        BatchNumber.TryParse(batchText, out uint batch, out _);
        var (factoryConfig, skipKeys) = options switch
        {
            ClientOptions c => (parsed.GetValue(c.FactoryConfig), parsed.GetValue(c.SkipKeys)),
            EmcmProvisionOptions e => (parsed.GetValue(e.FactoryConfig), parsed.GetValue(e.SkipKeys)),
            _ => (false, false), // emcm_factory: the operation decides which configuration and whether keys
        };
        var request = new ProvisionRequest(port.Length == 0 ? "(no device)" : port, parsed.GetValue(options.Baud), batch,
            Wrapper(), factoryConfig, skipKeys, parsed.GetValue(options.SkipLock), parsed.GetValue(options.Force))
        {
            MaxMessageSize = parsed.GetValue(options.MaxMessageSize),
            PathTranslateFrom = parsed.GetValue(options.PathTranslateFrom),
            PathTranslateTo = parsed.GetValue(options.PathTranslateTo),
            FirstContactTimeout = LineOptions.Seconds(parsed.GetValue(options.FirstContactTimeout)),
            ResponseTimeout = LineOptions.Seconds(parsed.GetValue(options.ResponseTimeout)),
            Resends = parsed.GetValue(options.Resends),
            LogPath = parsed.GetValue(options.LogFile) is { Length: > 0 } log ? log : null,
            LinkPassword = OpticalPassword(),
        };

        var emcm = options is EmcmOptions emcmOptions ? new EmcmArguments(emcmOptions, parsed) : null;
        if ((Problem(port, batchText, out var selector) ?? emcm?.Problem()) is { } problem)
            return Reject(request, problem);
        if (!TryConnect(out var client, out var connectProblem))
            return Reject(request, connectProblem!);

        try
        {
            using (client)
            {
                if (emcm is not null) return await RunEmcmAsync(client!, emcm, request, selector!, cancellationToken).ConfigureAwait(false);
                using var run = new StationRun(client!, throttleLimit: 1) { LogSink = Print };
                var result = await run.ProvisionAsync(request, selector!, progress: null, cancellationToken).ConfigureAwait(false);
                return result.ExitCode;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The device stopped at its next step and was not confirmed; the log already says where.
            Print(new StationLogEntry(DateTimeOffset.UtcNow, port, StationLogLevel.Critical, "Stopped by the operator (Ctrl+C)."));
            return (int)ProvExitCode.Unknown;
        }
    }

    /// <summary>emcm_provision or one emcm_factory operation, by the provisioner the cmdlets use.</summary>
    private async Task<int> RunEmcmAsync(ProvServerClient client, EmcmArguments emcm, ProvisionRequest line, ConfigSelector selector, CancellationToken cancellationToken)
    {
        using var sessions = new StationSessions(client);
        var provisioner = new EmcmProvisioner(sessions) { LogSink = Print };
        var request = emcm.Request(line);
        var result = emcm.Stage is { } stage
            ? await provisioner.RunStageAsync(stage, request, selector, progress: null, cancellationToken).ConfigureAwait(false)
            : await provisioner.ProvisionAsync(request, selector, progress: null, cancellationToken).ConfigureAwait(false);
        return result.ExitCode;
    }

    /// <summary>What is wrong with the arguments (code 3), or null.</summary>
    private string? Problem(string port, string batchText, out ConfigSelector? selector)
    {
        selector = null;
        if (port.Length == 0) return "No device given: name the node's port with -d, e.g. -d /dev/ttyUSB0, -d COM3 or -d tcp://10.0.0.21:4001.";
        if (string.IsNullOrWhiteSpace(parsed.GetValue(options.Server)))
            return "No server given: name the provisioning server with -s, e.g. -s 192.168.0.10 (port 8085) or -s 192.168.0.10:8443.";
        if (batchText.Length == 0) return "No batch given: give the batch number of this run with -B, e.g. -B 1000.";
        if (!BatchNumber.TryParse(batchText, out _, out string? batchError)) return batchError;
        if (!ConfigSelector.TryCreate(parsed.GetValue(options.ConfigId), parsed.GetValue(options.ConfigAlias), out selector, out string? configError))
            return configError!.Replace("-ConfigId", "-p/--config-id", StringComparison.Ordinal).Replace("-ConfigAlias", "--config-alias", StringComparison.Ordinal);
        if (StationTimeouts.Validate(LineOptions.Seconds(parsed.GetValue(options.FirstContactTimeout)), LineOptions.Seconds(parsed.GetValue(options.ResponseTimeout)),
                parsed.GetValue(options.Resends), "--first-contact-timeout", "--response-timeout", "--resends") is { } timeoutError)
            return timeoutError;
        bool from = !string.IsNullOrEmpty(parsed.GetValue(options.PathTranslateFrom)), to = parsed.GetValue(options.PathTranslateTo) is not null;
        if (from != to) return "--path_trans_from and --path_trans_to go together: give both (e.g. --path_trans_from=/workspace --path_trans_to=z:) or neither.";
        return null;
    }

    private string Wrapper() => parsed.GetValue(options.Wrapper) is { } w && !string.IsNullOrWhiteSpace(w) ? w.Trim() : TransportWrappers.None;

    /// <summary>The server client: its address (HTTPS unless --disable-ssl), token, client certificate and trust.</summary>
    private bool TryConnect(out ProvServerClient? client, out string? problem)
    {
        client = null;
        bool ssl = !parsed.GetValue(options.DisableSsl);
        if (!TryAddress(parsed.GetValue(options.Server)!, ssl, out var uri, out problem)) return false;
        string[] pins = parsed.GetValue(options.CertificateThumbprint) ?? [];
        string? caPath = parsed.GetValue(options.CaCertificate);
        if (uri.Scheme != Uri.UriSchemeHttps && (caPath is not null || pins.Length > 0 || parsed.GetValue(options.Certificate) is not null))
        {
            problem = "--ca-certificate, --certificate-thumbprint and --certificate work over HTTPS, but the server is reached over plain HTTP (--disable-ssl or http://): leave them out or use HTTPS.";
            return false;
        }

        string? token = null;
        if (!TryToken(out token, out problem)) return false;
        X509Certificate2? certificate = null;
        if (parsed.GetValue(options.Certificate) is { } certificatePath && !TryCertificate(certificatePath, out certificate, out problem)) return false;
        if (token is null && certificate is null)
        {
            problem = $"No credentials for the server: give --token-file with a station token (New-ProvStationToken), set {TokenVariable}, or give --certificate with the station's certificate.";
            return false;
        }

        IReadOnlyList<X509Certificate2> cas = [];
        try
        {
            if (caPath is not null) cas = CertificateFile.LoadCaCertificates(Path.GetFullPath(caPath));
            var trust = ServerTrust.Create(cas, pins, certificate);
            client = new ProvServerClient(uri, token, trust);
            return true;
        }
        catch (Exception e) when (e is CertificateFileException or ArgumentException or FormatException)
        {
            certificate?.Dispose();
            problem = caPath is not null && e is CertificateFileException ? $"The CA certificate {caPath} cannot be read: {e.Message}" : e.Message;
            return false;
        }
        finally
        {
            foreach (var ca in cas) ca.Dispose();
        }
    }

    /// <summary>
    /// The guide's <c>ip_addr[:port]</c> (port 8085 when none) over HTTPS, or HTTP with --disable-ssl; a whole address with
    /// its scheme is taken as it is, unless it asks for HTTPS together with --disable-ssl.
    /// </summary>
    internal static bool TryAddress(string text, bool ssl, out Uri uri, out string? problem)
    {
        text = text.Trim();
        bool schemeGiven = text.Contains("://", StringComparison.Ordinal);
        if (!ServerAddress.TryParse(text, out uri, out problem)) return false;
        if (schemeGiven)
        {
            if (!ssl && uri.Scheme == Uri.UriSchemeHttps)
            {
                problem = $"--disable-ssl asks for plain HTTP, but the server is given as {ServerAddress.Display(uri)}: give one or the other.";
                return false;
            }
            return true;
        }
        if (ssl) uri = new UriBuilder(uri) { Scheme = Uri.UriSchemeHttps }.Uri;
        return true;
    }

    private bool TryToken(out string? token, out string? problem)
    {
        token = null;
        problem = null;
        if (parsed.GetValue(options.TokenFile) is { } path)
        {
            try
            {
                token = File.ReadLines(path).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problem = $"The token file {path} cannot be read: {e.Message}";
                return false;
            }
            if (token is null)
            {
                problem = $"The token file {path} is empty: it should hold the station token (New-ProvStationToken) on its first line.";
                return false;
            }
            return true;
        }
        token = Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment.Trim() : null;
        return true;
    }

    private bool TryCertificate(string path, out X509Certificate2? certificate, out string? problem)
    {
        certificate = null;
        problem = null;
        char[] password = CertificatePassword(path);
        try
        {
            // The chain that came with it stays behind: the server knows its own CA.
            var loaded = CertificateFile.LoadWithKey(Path.GetFullPath(path), null, password);
            foreach (var other in loaded.Chain) other.Dispose();
            certificate = loaded.Certificate;
            return true;
        }
        catch (CertificateFileException e)
        {
            problem = $"The certificate {path} cannot be used: {e.Message} Its password comes from {CertificatePasswordVariable}, or is asked for on a terminal.";
            return false;
        }
        finally
        {
            Array.Clear(password);
        }
    }

    /// <summary>The certificate's password: from the environment, else typed at the terminal (not echoed), else empty.</summary>
    private static char[] CertificatePassword(string path)
    {
        if (Environment.GetEnvironmentVariable(CertificatePasswordVariable) is { } fromEnvironment) return fromEnvironment.ToCharArray();
        if (Console.IsInputRedirected || Console.IsErrorRedirected) return [];
        Console.Error.Write($"Password for {path}: ");
        var typed = new List<char>();
        try
        {
            for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
            {
                if (key.Key == ConsoleKey.Backspace) { if (typed.Count > 0) typed.RemoveAt(typed.Count - 1); }
                else if (key.KeyChar != '\0') typed.Add(key.KeyChar);
            }
            Console.Error.WriteLine();
            return typed.ToArray();
        }
        finally
        {
            for (int i = 0; i < typed.Count; i++) typed[i] = '\0';
        }
    }

    /// <summary>Bad arguments: code 3 with the reason, on stdout and in the log file as for any device.</summary>
    private int Reject(ProvisionRequest request, string problem)
    {
        var code = ProvExitCode.InvalidArguments;
        var result = new NodeProvisionResult(request.Port, null, null, request.Batch, false, code, $"{ProvExitCodes.Interpretation(code)}: {problem} Run {options.DisplayName} --help for the options.", TimeSpan.Zero);
        DeviceLog.Open(request, Print)?.Finish(result, null);
        return (int)code;
    }

    /// <summary>A log line on stdout when the verbosity asks for it.</summary>
    private void Print(StationLogEntry entry)
    {
        if (entry.Level > Threshold) return;
        output.WriteLine($"{StationLogEntry.LevelName(entry.Level),-5} {entry.Message}");
    }

    /// <summary>The optical port password from the environment (never argv, which every user of the PC can read), as a SecureString.</summary>
    private static System.Security.SecureString? OpticalPassword()
    {
        if (Environment.GetEnvironmentVariable(OpticalPasswordVariable) is not { Length: > 0 } text) return null;
        var password = new System.Security.SecureString();
        foreach (char c in text) password.AppendChar(c);
        password.MakeReadOnly();
        return password;
    }
}
