using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Provisioning.Core.Node;

namespace Provisioning.PowerShell;

/// <summary>Tab completion for -NodeType: the node types the guide names (<see cref="KnownNodeTypes"/>), the simulator's default among them. Other values are still accepted.</summary>
public sealed class NodeTypeCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        return KnownNodeTypes.All
            .Where(t => t.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(t => new CompletionResult(t.Name, t.Name, CompletionResultType.ParameterValue, t.Description));
    }
}
