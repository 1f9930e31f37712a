using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Provisioning.PowerShell;

/// <summary>Tab completion for -NodeType: the node types the guide names. Other values are still accepted.</summary>
public sealed class NodeTypeCompleter : IArgumentCompleter
{
    private static readonly (string Name, string Description)[] NodeTypes =
    {
        ("UNODE", "microNode"),
        ("DNODE", "dNode"),
        ("ENODE", "eNode"),
    };

    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        return NodeTypes
            .Where(t => t.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(t => new CompletionResult(t.Name, t.Name, CompletionResultType.ParameterValue, t.Description));
    }
}
