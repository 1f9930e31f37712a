namespace Provisioning.Core.Node;

/// <summary>The link to the node failed: no answer within the timeout, the connection closed, or frames kept arriving damaged.</summary>
public sealed class NodeLinkException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, for an operator.</param>
    /// <param name="neverAnswered">True when the node has not answered a single message on this link (no device on the port).</param>
    /// <param name="inner">Underlying transport error, if any.</param>
    public NodeLinkException(string message, bool neverAnswered, Exception? inner = null) : base(message, inner)
        => NeverAnswered = neverAnswered;

    /// <summary>True when nothing on the port ever answered.</summary>
    public bool NeverAnswered { get; }

    /// <summary>What to change when provisioning again over the same link would fail the same way; null when a retry may help.</summary>
    public string? Advice { get; init; }
}

/// <summary>The node answered with an Error message.</summary>
public sealed class NodeErrorException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NodeErrorException(NodeErrorCode code, string nodeMessage)
        : base($"The node answered error {(byte)code} ({code}): {nodeMessage}")
    {
        Code = code;
        NodeMessage = nodeMessage;
    }

    /// <summary>The node's error code.</summary>
    public NodeErrorCode Code { get; }

    /// <summary>The node's own text.</summary>
    public string NodeMessage { get; }
}
