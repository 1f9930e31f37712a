using System.Collections.Concurrent;
using System.Globalization;

namespace Provisioning.Server.Hosting;

/// <summary>
/// Appends log lines to <c>DataPath/logs/server.log</c>, so a server started in the background (Start-ProvServer, a
/// service) leaves a trail an operator can read. Messages only, never request bodies or headers.
/// </summary>
public sealed class FileLoggerProvider : ILoggerProvider
{
    private readonly StreamWriter _writer;
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<string, FileLogger> _loggers = new();

    public FileLoggerProvider(string path)
    {
        // The logger is made first, so it creates the data folder (owner-only) as well as logs/.
        OwnerOnlyFolder.Create(Path.GetDirectoryName(path)!);
        _writer = new StreamWriter(new FileStream(path, OwnerOnlyFile.Options(FileMode.Append, FileShare.ReadWrite))) { AutoFlush = true };
    }

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, name => new FileLogger(this, name));

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        string line = string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {Short(level)} {category}: {message}");
        if (exception is not null)
            line += Environment.NewLine + "    " + exception.GetType().FullName + ": " + exception.Message;
        lock (_gate)
            _writer.WriteLine(line);
    }

    private static string Short(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    public void Dispose()
    {
        lock (_gate)
            _writer.Dispose();
    }

    private sealed class FileLogger(FileLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                owner.Write(logLevel, category, formatter(state, exception), exception);
        }
    }
}
