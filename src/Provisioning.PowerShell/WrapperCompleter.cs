using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Provisioning.Core.Wrappers;

namespace Provisioning.PowerShell;

/// <summary>Tab completion for -Wrapper: the built-in wrappers and any user wrapper already loaded.</summary>
public sealed class WrapperCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        return TransportWrappers.Available()
            .Where(name => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(name => new CompletionResult(name, name, CompletionResultType.ParameterValue, name));
    }
}
