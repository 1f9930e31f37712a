using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers;

namespace Provisioning.PowerShell;

/// <summary>Tab completion for -Wrapper: the built-in wrappers and any user wrapper whose assembly is loaded.</summary>
public sealed class WrapperCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        IReadOnlyList<string> names;
        try { names = TransportWrappers.Available(); }
        catch (Exception e) when (e is not OutOfMemoryException) { names = [TransportWrappers.None, TransportWrappers.Orw]; }
        return names
            .Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }
}

/// <summary>
/// Tab completion for a serial port: the serial devices this machine has (COM ports on Windows, tty devices elsewhere), then
/// the virtual pairs New-ProvVirtualSerialPair made in this session (the station end, or the node end for Start-ProvNodeSimulator);
/// when none of those match, file paths, as for any other path.
/// </summary>
public sealed class SerialPortCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        bool nodeEnd = commandName.Equals("Start-ProvNodeSimulator", StringComparison.OrdinalIgnoreCase);
        var devices = Devices()
            .Order(StringComparer.OrdinalIgnoreCase)
            .Select(p => (Port: p, Description: p));
        var pairs = VirtualSerialPair.Live
            .Select(p => nodeEnd ? (Port: p.PortB, Description: $"node end of the virtual pair {p}") : (Port: p.PortA, Description: $"station end of the virtual pair {p}"));
        var matches = devices.Concat(pairs)
            .Where(p => p.Port.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .DistinctBy(p => p.Port)
            .Select(p => new CompletionResult(Quote(p.Port), p.Port, CompletionResultType.ParameterValue, p.Description))
            .ToList();
        return matches.Count > 0 ? matches : CompletionCompleters.CompleteFilename(wordToComplete);
    }

    private static string Quote(string port) => port.Any(char.IsWhiteSpace) ? $"'{port.Replace("'", "''")}'" : port;

    private static IEnumerable<string> Devices()
    {
        try
        {
            return System.IO.Ports.SerialPort.GetPortNames();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            return [];
        }
    }
}
