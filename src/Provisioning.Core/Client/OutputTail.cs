namespace Provisioning.Core.Client;

/// <summary>The last lines a process wrote, kept to explain why it stopped.</summary>
public sealed class OutputTail(int capacity = 20)
{
    private readonly Queue<string> _lines = new();

    /// <summary>Adds a line, dropping the oldest beyond the capacity. Null (end of stream) is ignored.</summary>
    public void Add(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) return;
        lock (_lines)
        {
            _lines.Enqueue(line.TrimEnd());
            while (_lines.Count > capacity) _lines.Dequeue();
        }
    }

    /// <summary>The kept lines, oldest first.</summary>
    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return _lines.ToArray(); }
    }

    /// <summary>The kept lines joined with new lines.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Lines);
}
