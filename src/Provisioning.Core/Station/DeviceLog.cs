using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Provisioning.Core.Station;

/// <summary>How much a station log line matters (the guide's <c>--verbosity</c>: 0 critical, 1 warnings, 2 debug).</summary>
public enum StationLogLevel
{
    /// <summary>The device failed: its Table 4 code and what to check.</summary>
    Critical = 0,
    /// <summary>Something an operator may want to know although the device went on: resends, damaged frames, a resumed transfer.</summary>
    Warning = 1,
    /// <summary>The outcome of a device that succeeded.</summary>
    Info = 2,
    /// <summary>Every step with its timing, the node's identity, the timeouts in use.</summary>
    Debug = 3,
}

/// <summary>One line of a device's log, as it goes to the file and to a <see cref="StationRun.LogSink"/>.</summary>
/// <param name="Time">When it was written (UTC).</param>
/// <param name="Port">The device's port.</param>
/// <param name="Level">How much it matters.</param>
/// <param name="Message">The line, for a support engineer; never a key, passphrase or token.</param>
public sealed record StationLogEntry(DateTimeOffset Time, string Port, StationLogLevel Level, string Message)
{
    /// <summary>The line as the log file holds it: <c>2026-12-01T13:20:01.123Z WARN  /dev/ttyUSB0  3 messages sent again</c>.</summary>
    public override string ToString() =>
        $"{Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)} {LevelName(Level),-5} {Port}  {Message}";

    /// <summary>Short name of a level, as the log and the command line show it.</summary>
    public static string LevelName(StationLogLevel level) => level switch
    {
        StationLogLevel.Critical => "CRIT",
        StationLogLevel.Warning => "WARN",
        StationLogLevel.Info => "INFO",
        _ => "DEBUG",
    };
}

/// <summary>
/// One device's log: its steps with their timings, the node's identity, link statistics (resends, damaged frames, lost
/// chunks) and the final code, to a file (<see cref="ProvisionRequest.LogPath"/>) and/or a sink. Lines are appended and
/// flushed one by one, so a log of a station that was killed still says how far the device got.
/// </summary>
/// <remarks>
/// What goes in is the station's own status text and the result message: neither ever holds a key (the flow never
/// formats one), and the key scans of the test suite read these files to keep it that way.
/// </remarks>
public sealed class DeviceLog
{
    // Several devices may share one file (a -LogPath file for a run of many ports): one lock per file.
    private static readonly ConcurrentDictionary<string, object> FileLocks = new(StringComparer.Ordinal);

    private readonly string _port;
    private readonly string? _file;
    private readonly Action<StationLogEntry>? _sink;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private ProvisionStep? _step;
    private TimeSpan _stepStarted;
    private (int Damaged, int Resends, int ChunksLost) _stepStats;
    private string? _fileError;

    private DeviceLog(string port, string? file, Action<StationLogEntry>? sink)
    {
        _port = port;
        _file = file;
        _sink = sink;
    }

    /// <summary>The file this device's lines go to, or null.</summary>
    public string? FilePath => _file;

    /// <summary>
    /// A log for the device of <paramref name="request"/>: to the file <see cref="ProvisionRequest.LogPath"/> names (a folder,
    /// existing or ending in a separator: a new file per device in it, named by time and port; otherwise that file, appended),
    /// and to <paramref name="sink"/>. Null when there is neither.
    /// </summary>
    public static DeviceLog? Open(ProvisionRequest request, Action<StationLogEntry>? sink)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? file = string.IsNullOrWhiteSpace(request.LogPath) ? null : FileFor(request.LogPath, request.Port, DateTimeOffset.UtcNow);
        if (file is null && sink is null) return null;
        return new DeviceLog(request.Port, file, sink);
    }

    /// <summary>The file a device's log goes to for <paramref name="logPath"/> (see <see cref="Open"/>).</summary>
    public static string FileFor(string logPath, string port, DateTimeOffset now)
    {
        string full = Path.GetFullPath(logPath);
        bool folder = Directory.Exists(full) || logPath.EndsWith(Path.DirectorySeparatorChar) || logPath.EndsWith(Path.AltDirectorySeparatorChar);
        if (!folder) return full;
        var name = new StringBuilder(now.UtcDateTime.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture)).Append('-');
        foreach (char c in port) name.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_');
        return Path.Combine(full, name.Append(".log").ToString());
    }

    /// <summary>Writes one line.</summary>
    public void Write(StationLogLevel level, string message)
    {
        var entry = new StationLogEntry(DateTimeOffset.UtcNow, _port, level, message);
        _sink?.Invoke(entry);
        if (_file is null || _fileError is not null) return;
        try
        {
            var gate = FileLocks.GetOrAdd(_file, _ => new object());
            lock (gate)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
                File.AppendAllText(_file, entry + Environment.NewLine, Encoding.UTF8);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A log that cannot be written must not fail the device; say so once, where the operator looks.
            _fileError = e.Message;
            _sink?.Invoke(entry with { Level = StationLogLevel.Warning, Message = $"The log file {_file} cannot be written ({e.Message}); this device's log goes on without it." });
        }
    }

    /// <summary>
    /// A step begins: the last one is logged with its time and the link statistics it added (warnings when it needed
    /// resends), the new one at debug level. <paramref name="stats"/> are the link's counters so far, when a link is open.
    /// </summary>
    public void Step(ProvisionStep step, string status, (int Damaged, int Resends, int ChunksLost)? stats)
    {
        if (step == _step) return;
        EndStep(stats);
        _step = step;
        _stepStarted = _clock.Elapsed;
        if (step != ProvisionStep.Done) Write(StationLogLevel.Debug, $"{step}: {status}");
    }

    /// <summary>The device's outcome: its Table 4 code and message, the time it took and what the link needed.</summary>
    public void Finish(NodeProvisionResult result, (int Damaged, int Resends, int ChunksLost)? stats)
    {
        ArgumentNullException.ThrowIfNull(result);
        Finish(result.Result, result.NodeId is { } id ? $"node 0x{id:X8}" : "no node", result.Duration, result.Message, stats);
    }

    /// <summary>A flow's outcome: its Table 4 code, the device it reached (e.g. "node 0x00000001, eMCM 0011…"), time and message.</summary>
    public void Finish(ProvExitCode code, string device, TimeSpan duration, string message, (int Damaged, int Resends, int ChunksLost)? stats)
    {
        EndStep(stats);
        _step = ProvisionStep.Done;
        string link = stats is { } s ? $"; link: {s.Resends} resends, {s.Damaged} damaged frames, {s.ChunksLost} chunks lost" : "";
        Write(code == ProvExitCode.Success ? StationLogLevel.Info : StationLogLevel.Critical,
            $"Result {(int)code} ({code}), {device}, {duration.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)} s{link}: {message}");
    }

    private void EndStep((int Damaged, int Resends, int ChunksLost)? stats)
    {
        var now = stats ?? _stepStats;
        if (_step is { } step and not ProvisionStep.Done)
        {
            var took = _clock.Elapsed - _stepStarted;
            int resends = now.Resends - _stepStats.Resends, damaged = now.Damaged - _stepStats.Damaged, lost = now.ChunksLost - _stepStats.ChunksLost;
            string seconds = took.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
            if (resends > 0 || damaged > 0 || lost > 0)
                Write(StationLogLevel.Warning, $"{step} took {seconds} s with {resends} messages sent again, {damaged} damaged frames, {lost} chunks lost");
            else
                Write(StationLogLevel.Debug, $"{step} took {seconds} s");
        }
        _stepStats = now;
    }
}
