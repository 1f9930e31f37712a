using Provisioning.Core.Node;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Station;

/// <summary>
/// The station's waits for one device: how long the node may take to answer first, how long each later answer may take
/// (on top of the line time of what is in flight), and how often a message is sent again. Defaults follow the line rate
/// and the wrapper (docs/node-protocol.md, "Timeouts"); a request's explicit values win.
/// </summary>
/// <param name="FirstContact">The whole wait for the node's first answer (its first message is sent Resends + 1 times within it).</param>
/// <param name="Response">Base wait for each later answer, on top of the line time of the bytes in flight.</param>
/// <param name="Resends">How many times a message is sent again before the device fails.</param>
public sealed record StationTimeouts(TimeSpan FirstContact, TimeSpan Response, int Resends)
{
    /// <summary>Longest wait a caller may give (either timeout).</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Most resends a caller may ask for.</summary>
    public const int MaxResends = 100;

    /// <summary>Below this rate the waits grow in proportion: a slow line's host (an optical port, a modem) answers more slowly too.</summary>
    public const int ReferenceBaudRate = 9600;

    /// <summary>
    /// The defaults for a line of <paramref name="baudRate"/> with <paramref name="wrapper"/>:
    /// <list type="bullet">
    /// <item><c>none</c>, <c>orw</c> and wrappers of one's own: first contact 2 s, response 2 s, 3 resends;</item>
    /// <item><c>reliable</c>: first contact 3 s, response 4 s, 2 resends (the wrapper already sends lost frames again
    /// itself, so a station resend is the last resort and waits longer);</item>
    /// <item><c>opt_psem</c>: first contact 8 s (the C12.18 session: identification, negotiate, logon and security come
    /// before the node's first answer), response 6 s (the standard's channel traffic timeout), 2 resends (each C12.18
    /// packet is already retried three times).</item>
    /// </list>
    /// Below 9600 baud both waits are multiplied by 9600 / baud (1200 baud: ×8).
    /// </summary>
    public static StationTimeouts Default(int baudRate, string? wrapper)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(baudRate, 1);
        var (first, response, resends) = (wrapper ?? TransportWrappers.None).Trim().ToLowerInvariant() switch
        {
            TransportWrappers.Reliable => (3.0, 4.0, 2),
            TransportWrappers.OptPsem => (8.0, 6.0, 2),
            _ => (2.0, 2.0, 3),
        };
        double slow = baudRate < ReferenceBaudRate ? (double)ReferenceBaudRate / baudRate : 1;
        return new StationTimeouts(TimeSpan.FromSeconds(first * slow), TimeSpan.FromSeconds(response * slow), resends);
    }

    /// <summary>The request's explicit values over the defaults of its baud rate and wrapper.</summary>
    public static StationTimeouts For(ProvisionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var defaults = Default(request.BaudRate, request.Wrapper);
        return new StationTimeouts(request.FirstContactTimeout ?? defaults.FirstContact, request.ResponseTimeout ?? defaults.Response,
            request.Resends ?? defaults.Resends);
    }

    /// <summary>
    /// Checks values a caller gave (null: not given): waits above zero and at most <see cref="MaxTimeout"/>, resends 0 to
    /// <see cref="MaxResends"/>. Returns an operator's sentence naming the bad value, or null when all are usable.
    /// </summary>
    public static string? Validate(TimeSpan? firstContact, TimeSpan? response, int? resends, string firstContactName = "first-contact timeout",
        string responseName = "response timeout", string resendsName = "resend count")
    {
        foreach (var (value, name) in new[] { (firstContact, firstContactName), (response, responseName) })
            if (value is { } v && (v <= TimeSpan.Zero || v > MaxTimeout))
                return $"The {name} {v.TotalSeconds:0.###} s is out of range: give more than 0 and at most {MaxTimeout.TotalSeconds:0} s.";
        if (resends is < 0 or > MaxResends)
            return $"The {resendsName} {resends} is out of range: give 0 to {MaxResends}.";
        return null;
    }

    /// <summary>These waits applied to <paramref name="options"/>.</summary>
    public NodeClientOptions ApplyTo(NodeClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options with { FirstContactTimeout = FirstContact, ResponseTimeout = Response, Retries = Resends };
    }

    /// <summary>For logs: "first contact 2 s, response 2 s, 3 resends".</summary>
    public override string ToString()
        => $"first contact {FirstContact.TotalSeconds:0.###} s, response {Response.TotalSeconds:0.###} s, {Resends} resends";
}
