using System.ComponentModel;
using System.Diagnostics;

namespace Provisioning.Core.Transport;

/// <summary>
/// Two connected pseudo-terminals made by <c>socat</c> (Linux): what one end writes the other reads, like a null-modem
/// cable between two serial ports. For rehearsing a station against a simulated node without hardware.
/// A pty does not pace at a baud rate; the node simulator does that itself.
/// </summary>
public sealed class VirtualSerialPair : IDisposable
{
    private static int _sequence;
    private static readonly List<VirtualSerialPair> _live = [];
    private readonly Process _socat;
    private bool _disposed;

    private VirtualSerialPair(Process socat, string portA, string portB)
    {
        _socat = socat;
        PortA = portA;
        PortB = portB;
        ProcessId = socat.Id;
        // A socat left behind would hold the ptys after PowerShell exits.
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        lock (_live) _live.Add(this);
    }

    /// <summary>The pairs this process made and has not removed, oldest first (what port completion offers).</summary>
    public static IReadOnlyList<VirtualSerialPair> Live
    {
        get { lock (_live) return _live.Where(p => p.IsAlive).ToArray(); }
    }

    /// <summary>One end (a symbolic link to the pty), e.g. for the station.</summary>
    public string PortA { get; }

    /// <summary>The other end, e.g. for the node simulator.</summary>
    public string PortB { get; }

    /// <summary>The socat process joining them.</summary>
    public int ProcessId { get; }

    /// <summary>False once socat has exited.</summary>
    public bool IsAlive => !_disposed && !_socat.HasExited;

    /// <summary>
    /// Starts socat with links in <paramref name="directory"/> (default: the temp folder) and returns once both ends
    /// exist and open. Throws <see cref="InvalidOperationException"/> when socat is not installed or does not come up.
    /// </summary>
    public static async Task<VirtualSerialPair> CreateAsync(string? directory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            throw new PlatformNotSupportedException("Virtual serial pairs need socat and pseudo-terminals (Linux or macOS). On Windows use a com0com pair, or a simulator on tcp://127.0.0.1:<port>.");
        directory = Path.GetFullPath(string.IsNullOrEmpty(directory) ? Path.GetTempPath() : directory);
        Directory.CreateDirectory(directory);
        string stem = Path.Combine(directory, $"prov-tty-{Environment.ProcessId}-{Interlocked.Increment(ref _sequence)}");
        string portA = stem + "a", portB = stem + "b";

        var start = new ProcessStartInfo("socat") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-d");
        start.ArgumentList.Add("-d");
        start.ArgumentList.Add($"pty,raw,echo=0,link={portA}");
        start.ArgumentList.Add($"pty,raw,echo=0,link={portB}");
        Process socat;
        try
        {
            socat = Process.Start(start) ?? throw new InvalidOperationException("socat did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException("socat is not installed, and virtual serial pairs need it: install it (Debian/Ubuntu: apt-get install socat), or run the simulator on tcp://127.0.0.1:<port> instead.", e);
        }
        var log = new System.Text.StringBuilder();
        socat.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        socat.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        try
        {
            while (!(CanOpen(portA) && CanOpen(portB)))
            {
                if (socat.HasExited)
                    throw new InvalidOperationException($"socat exited with code {socat.ExitCode} before the pair {portA} / {portB} was ready: {Log(log)}");
                if (deadline.Elapsed > timeout)
                    throw new InvalidOperationException($"socat did not make {portA} and {portB} within {timeout.TotalSeconds:0.#} s: {Log(log)}");
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            Kill(socat);
            throw;
        }
        return new VirtualSerialPair(socat, portA, portB);
    }

    /// <summary>Stops socat; its links disappear with it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_live) _live.Remove(this);
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Kill(_socat);
        foreach (var link in new[] { PortA, PortB })
        {
            // socat removes its links on a clean exit; a killed one may not.
            try { if (File.Exists(link) || new FileInfo(link).LinkTarget is not null) File.Delete(link); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{PortA} <-> {PortB}";

    private void OnProcessExit(object? sender, EventArgs e) => Kill(_socat);

    private static bool CanOpen(string link)
    {
        if (!File.Exists(link)) return false;
        try
        {
            using var port = SerialNodeTransport.OpenPort(link, NodeTransport.DefaultBaudRate);
            return true;
        }
        catch (IOException) { return false; }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(2000);
            }
        }
        catch (InvalidOperationException) { }
        process.Dispose();
    }

    private static string Log(System.Text.StringBuilder log)
    {
        lock (log) return log.Length == 0 ? "(no output)" : log.ToString().Trim();
    }
}
