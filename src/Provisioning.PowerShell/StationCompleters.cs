using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
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

/// <summary>Tab completion for -Port: the serial devices this machine has (COM ports on Windows, tty devices elsewhere).</summary>
public sealed class SerialPortCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        return Ports()
            .Where(p => p.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.OrdinalIgnoreCase)
            .Select(p => new CompletionResult(p, p, CompletionResultType.ParameterValue, p));
    }

    private static IEnumerable<string> Ports()
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
