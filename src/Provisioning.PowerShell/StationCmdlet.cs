using System.Collections.Concurrent;
using System.Management.Automation;
using Provisioning.Core.Export;
using Provisioning.Core.Station;
using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers;

namespace Provisioning.PowerShell;

/// <summary>
/// Base of the station cmdlets (Invoke-NodeProvision, Invoke-EmcmProvision, Invoke-EmcmFactoryStage): the line's
/// parameters, one device per pipeline input, devices in parallel up to -ThrottleLimit.
/// </summary>
/// <remarks>
/// ShouldProcess, output, errors and progress stay on the pipeline thread (the devices' tasks queue what they have to
/// say). Every device gets one result object; a failed one also gets a non-terminating error whose ID names its Table 4 code.
/// </remarks>
/// <typeparam name="TResult">The result a device gets.</typeparam>
public abstract class StationCmdlet<TResult> : ProvServerCmdlet where TResult : class
{
    /// <summary>Smallest -MaxMessageSize: room for a key write and a useful image chunk.</summary>
    private const int MinMessageSize = 64;

    private readonly ConcurrentQueue<TResult> _results = new();
    private readonly ConcurrentDictionary<string, ProvisionProgress> _progress = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<StationLogEntry> _log = new();
    private readonly AutoResetEvent _signal = new(false);
    private readonly List<Task> _devices = new();
    private readonly Dictionary<string, PortProgress> _portActivities = new(StringComparer.Ordinal);
    private StationRun? _run;
    private int _started, _finished;

    /// <summary>The port: a serial device (/dev/ttyUSB0, COM3) or tcp://host:port.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Device", "PortName")]
    [ArgumentCompleter(typeof(SerialPortCompleter))]
    [ValidateNotNullOrEmpty]
    public string Port { get; set; } = "";

    /// <summary>Serial line rate; for tcp:// ports, the rate of the serial line behind the device server (timeouts follow it).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(50, 4_000_000)]
    public int BaudRate { get; set; } = NodeTransport.DefaultBaudRate;

    /// <summary>Largest message, wrapping included, the host takes (its receive buffer); default: the wrapper's, 512 bytes for orw.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(MinMessageSize, 65535)]
    public int? MaxMessageSize { get; set; }

    /// <summary>
    /// The meter's ANSI C12.18 security password for <c>-Wrapper opt_psem</c> (at most 20 printable ASCII characters),
    /// sent once in the Security request and cleared after use; never logged.
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    [Alias("SecurityPassword")]
    public System.Security.SecureString? OpticalPassword { get; set; }

    /// <summary>Batch number (guide §7.2.4): decimal, 0x hex or leading-0 octal, unsigned 32-bit.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public string Batch { get; set; } = "";

    /// <summary>The configuration, decimal or 0x hex. Give this or -ConfigAlias.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConfigCompleter))]
    public string? ConfigId { get; set; }

    /// <summary>A config alias instead of the ID.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConfigCompleter))]
    public string? ConfigAlias { get; set; }

    /// <summary>Transport wrapper on the line (guide Appendix B).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(WrapperCompleter))]
    public string Wrapper { get; set; } = TransportWrappers.None;

    /// <summary>Leaves the host port and flash/JTAG unlocked.</summary>
    [Parameter]
    public SwitchParameter SkipLock { get; set; }

    /// <summary>
    /// How long the node may take to answer at all before the port counts as empty (code 4); seconds or a TimeSpan.
    /// Default: from -BaudRate and -Wrapper (2 s for none and orw at 9600 baud and above; docs/node-protocol.md, "Timeouts").
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [SecondsTransformation]
    public TimeSpan? FirstContactTimeout { get; set; }

    /// <summary>Base wait for each later answer, on top of the line time of what is in flight; seconds or a TimeSpan. Default: from -BaudRate and -Wrapper.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [SecondsTransformation]
    public TimeSpan? ResponseTimeout { get; set; }

    /// <summary>How many times a message is sent again before the device fails (code 36). Default: from -Wrapper (3 for none and orw).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(0, StationTimeouts.MaxResends)]
    public int? Resends { get; set; }

    /// <summary>
    /// A timestamped log per device for a support engineer (port, node ID, step timings, resends, codes; never a key): a folder
    /// (one file per device, named by time and port) or a file (appended; lines carry the port).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? LogPath { get; set; }

    /// <summary>Ports provisioned at once.</summary>
    [Parameter]
    [ValidateRange(1, StationRun.MaxThrottleLimit)]
    public int ThrottleLimit { get; set; } = 4;

    /// <summary>Writes firmware (and configuration) even when the device already has them.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>
    /// The guide's --path_trans_from: the start of the file paths a server in shared file system mode gives (e.g. /workspace),
    /// to rewrite with -PathTranslateTo.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? PathTranslateFrom { get; set; }

    /// <summary>The guide's --path_trans_to: what -PathTranslateFrom is on this station (e.g. Z: or /mnt/prov).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public string? PathTranslateTo { get; set; }

    /// <summary>Write-Progress activity ID of the overall bar; each port's bar takes the IDs after it.</summary>
    protected abstract int OverallActivityId { get; }

    /// <summary>The overall bar's activity, e.g. "Provisioning nodes".</summary>
    protected abstract string OverallActivity { get; }

    /// <summary>The -FactoryConfig choice of the request (false where the cmdlet has no such switch).</summary>
    protected virtual bool FactoryConfigRequested => false;

    /// <summary>The -SkipKeys choice of the request (false where the cmdlet has no such switch).</summary>
    protected virtual bool SkipKeysRequested => false;

    /// <summary>What ShouldProcess asks about for one device, e.g. "Provision the node with config 69, batch 1000".</summary>
    protected abstract string Action(ConfigSelector selector, uint batch);

    /// <summary>A problem with this device's own parameters (beyond the line's), or null.</summary>
    protected virtual string? ValidateDevice() => null;

    /// <summary>Starts the device's flow on <paramref name="run"/>.</summary>
    protected abstract Task<TResult> StartAsync(StationRun run, ProvisionRequest request, ConfigSelector selector,
        IProgress<ProvisionProgress> progress, CancellationToken cancellationToken);

    /// <summary>A result for a device that never started: <paramref name="code"/> with <paramref name="message"/> (interpretation included).</summary>
    protected abstract TResult Failed(string port, uint batch, ProvExitCode code, string message);

    /// <summary>A result's code.</summary>
    protected abstract ProvExitCode CodeOf(TResult result);

    /// <summary>The exception an error record carries for a failed result (its message names port, code and detail).</summary>
    protected abstract Exception FailureOf(TResult result);

    /// <summary>Extra words for the ShouldProcess description, e.g. "factory config".</summary>
    protected virtual IEnumerable<string> DescribeChoices() => [];

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        Drain();
        if (!BatchNumber.TryParse(Batch, out uint batch, out string? batchError))
        {
            Reject(batch, batchError!);
            return;
        }
        if (!ConfigSelector.TryCreate(ConfigId, ConfigAlias, out var selector, out string? configError))
        {
            Reject(batch, configError!);
            return;
        }
        if (!HasConnection)
        {
            Reject(batch, NoServerMessage);
            return;
        }
        if (StationTimeouts.Validate(FirstContactTimeout, ResponseTimeout, Resends, "-FirstContactTimeout", "-ResponseTimeout", "-Resends") is { } timeoutError)
        {
            Reject(batch, timeoutError);
            return;
        }
        if (ValidateDevice() is { } deviceError)
        {
            Reject(batch, deviceError);
            return;
        }

        string wrapper = string.IsNullOrWhiteSpace(Wrapper) ? TransportWrappers.None : Wrapper.Trim();
        if (!ShouldProcess(Port, $"{Action(selector!, batch)}{Describe(wrapper)}")) return;

        _run ??= new StationRun(Client, ThrottleLimit) { LogSink = entry => { _log.Enqueue(entry); _signal.Set(); } };
        var request = new ProvisionRequest(Port, BaudRate, batch, wrapper, FactoryConfigRequested, SkipKeysRequested, SkipLock, Force)
        {
            MaxMessageSize = MaxMessageSize,
            PathTranslateFrom = PathTranslateFrom,
            PathTranslateTo = PathTranslateTo,
            LinkPassword = OpticalPassword,
            FirstContactTimeout = FirstContactTimeout,
            ResponseTimeout = ResponseTimeout,
            Resends = Resends,
            LogPath = LogPath is null ? null : LogFolderOrFile(LogPath),
        };
        if (!_portActivities.ContainsKey(Port)) _portActivities[Port] = new PortProgress(OverallActivityId + 1 + _portActivities.Count);
        _started++;
        _devices.Add(RunDeviceAsync(_run, request, selector!));
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        try
        {
            while (_devices.Any(d => !d.IsCompleted))
            {
                if (Cancellation.IsCancellationRequested) break;
                _signal.WaitOne(100);
                Drain();
            }
            if (Cancellation.IsCancellationRequested)
            {
                // Ctrl+C: the devices stop at their next step; none is confirmed. Wait so no port stays open behind the prompt.
                Task.WaitAll(_devices.ToArray(), TimeSpan.FromSeconds(30));
                throw new PipelineStoppedException();
            }
            Drain();
        }
        finally
        {
            CompleteProgress();
            _run?.Dispose();
            _run = null;
        }
    }

    /// <inheritdoc/>
    protected override void StopProcessing()
    {
        base.StopProcessing();
        // Stopped before EndProcessing: release the run (zeroing the gateway keys) once the cancelled devices have ended.
        if (_run is { } run)
        {
            var devices = _devices.ToArray();
            _ = Task.WhenAll(devices).ContinueWith(_ => run.Dispose(), TaskScheduler.Default);
        }
    }

    private async Task RunDeviceAsync(StationRun run, ProvisionRequest request, ConfigSelector selector)
    {
        try
        {
            var progress = new LatestProgress(_progress, _signal);
            var result = await StartAsync(run, request, selector, progress, Cancellation).ConfigureAwait(false);
            _results.Enqueue(result);
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            // Stopped by the user: no result is written once the pipeline is stopping.
        }
        catch (Exception e)
        {
            _results.Enqueue(Failed(request.Port, request.Batch, ProvExitCode.InternalError,
                $"{ProvExitCodes.Interpretation(ProvExitCode.InternalError)}: {e.GetType().Name}: {e.Message}"));
        }
        finally
        {
            _signal.Set();
        }
    }

    /// <summary>A device that cannot start (bad arguments for this call or row): a result with code 3 and an error, as for any failed device.</summary>
    private void Reject(uint batch, string detail)
    {
        var code = ProvExitCode.InvalidArguments;
        Write(Failed(Port, batch, code, $"{ProvExitCodes.Interpretation(code)}: {detail}"));
    }

    /// <summary>The provider path of -LogPath, keeping a trailing separator (it asks for a folder).</summary>
    private string LogFolderOrFile(string path)
    {
        string resolved = ResolvePath(path);
        bool folder = path.EndsWith('/') || path.EndsWith('\\');
        return folder && !resolved.EndsWith(Path.DirectorySeparatorChar) ? resolved + Path.DirectorySeparatorChar : resolved;
    }

    /// <summary>Writes what the devices queued: log lines (Verbose, Debug), results (and errors for failed ones) and progress. Pipeline thread only.</summary>
    private void Drain()
    {
        while (_log.TryDequeue(out var entry))
        {
            string line = $"{entry.Port}: {entry.Message}";
            if (entry.Level == StationLogLevel.Debug) WriteDebug(line);
            else WriteVerbose(line);
        }
        while (_results.TryDequeue(out var result))
        {
            _finished++;
            Write(result);
        }
        foreach (var port in _progress.Keys)
        {
            if (!_progress.TryRemove(port, out var report) || !_portActivities.TryGetValue(port, out var activity)) continue;
            activity.Write(this, report, OverallActivityId);
        }
        if (_started > 1)
            WriteProgress(new ProgressRecord(OverallActivityId, OverallActivity, $"{_finished} of {_started} devices done")
            { PercentComplete = _started == 0 ? 0 : _finished * 100 / _started });
    }

    private void Write(TResult result)
    {
        WriteObject(result);
        var code = CodeOf(result);
        if (code != ProvExitCode.Success)
            WriteError(new ErrorRecord(FailureOf(result), code.ToString(), Category(code), result));
    }

    private void CompleteProgress()
    {
        foreach (var activity in _portActivities.Values) activity.Complete(this, OverallActivityId);
        if (_started > 1)
            WriteProgress(new ProgressRecord(OverallActivityId, OverallActivity, "Done") { RecordType = ProgressRecordType.Completed });
    }

    private string Describe(string wrapper)
    {
        var parts = new List<string>();
        if (!NodeTransport.IsTcp(Port) || MyInvocation.BoundParameters.ContainsKey(nameof(BaudRate))) parts.Add($"{BaudRate} baud");
        if (MaxMessageSize is { } max) parts.Add($"messages of at most {max} bytes");
        if (!wrapper.Equals(TransportWrappers.None, StringComparison.OrdinalIgnoreCase)) parts.Add($"wrapper {wrapper}");
        if (FactoryConfigRequested) parts.Add("factory config");
        if (SkipKeysRequested) parts.Add("no keys");
        if (SkipLock) parts.Add("not locked");
        if (Force) parts.Add("firmware rewritten");
        parts.AddRange(DescribeChoices());
        return parts.Count == 0 ? "" : $" ({string.Join(", ", parts)})";
    }

    private static ErrorCategory Category(ProvExitCode code) => code switch
    {
        ProvExitCode.InvalidArguments => ErrorCategory.InvalidArgument,
        ProvExitCode.NoDevice or ProvExitCode.NoDeviceHost or ProvExitCode.NodeMessageFailed or ProvExitCode.ServerUnreachable
            or ProvExitCode.GatewayUnreachable or ProvExitCode.ApplicationLinkFailed => ErrorCategory.ConnectionError,
        ProvExitCode.NodeError or ProvExitCode.NodeVersionIncompatible or ProvExitCode.HardwareTypeIncompatible
            or ProvExitCode.CalibrationIncompatible or ProvExitCode.ConfigInfoIncompatible
            or ProvExitCode.HostError or ProvExitCode.HostHardwareFailed => ErrorCategory.DeviceError,
        ProvExitCode.VerifyFailed or ProvExitCode.HostVerifyFailed => ErrorCategory.SecurityError,
        ProvExitCode.FirmwareUnavailable or ProvExitCode.ConfigUnavailable or ProvExitCode.ServerResponseInvalid
            or ProvExitCode.HostFirmwareUnavailable or ProvExitCode.HostConfigUnavailable => ErrorCategory.InvalidData,
        ProvExitCode.ServerError or ProvExitCode.FileUnavailable or ProvExitCode.GatewayError
            or ProvExitCode.GatewayLibraryMissing or ProvExitCode.GatewayCertificatesMissing => ErrorCategory.ResourceUnavailable,
        ProvExitCode.GatewayJoinFailed => ErrorCategory.OperationTimeout,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>Keeps the latest report per port for the pipeline thread, and wakes it.</summary>
    private sealed class LatestProgress(ConcurrentDictionary<string, ProvisionProgress> latest, AutoResetEvent signal) : IProgress<ProvisionProgress>
    {
        public void Report(ProvisionProgress value)
        {
            latest[value.Port] = value;
            if (value.Step is not (ProvisionStep.Firmware or ProvisionStep.Configuration)) signal.Set();
        }
    }

    /// <summary>One port's Write-Progress bar: a new record on each step, and at most four a second while a transfer runs.</summary>
    private sealed class PortProgress(int activityId)
    {
        private ProvisionStep? _step;
        private long _lastTicks;
        private bool _shown;

        public void Write(Cmdlet cmdlet, ProvisionProgress report, int parentId)
        {
            long now = Environment.TickCount64;
            if (report.Step == _step && now - _lastTicks < 250) return;
            _step = report.Step;
            _lastTicks = now;
            if (report.Step == ProvisionStep.Done)
            {
                Complete(cmdlet, parentId);
                return;
            }
            _shown = true;
            cmdlet.WriteProgress(new ProgressRecord(activityId, $"Provisioning {report.Port}", report.Status)
            {
                ParentActivityId = parentId,
                CurrentOperation = report.Step.ToString(),
                PercentComplete = Math.Clamp(report.Percent, -1, 100),
            });
        }

        public void Complete(Cmdlet cmdlet, int parentId)
        {
            if (!_shown) return;
            _shown = false;
            cmdlet.WriteProgress(new ProgressRecord(activityId, "Provisioning", "Done") { ParentActivityId = parentId, RecordType = ProgressRecordType.Completed });
        }
    }
}
