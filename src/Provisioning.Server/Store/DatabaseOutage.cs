using System.Net.Sockets;
using MySqlConnector;

namespace Provisioning.Server.Store;

/// <summary>
/// Failures that mean the database (or the one node a connection used) went away, rather than a fault in a request: a
/// connection refused or cut, a Galera node that left the cluster's primary component. The request is answered 503
/// (the station sends it again: its requests are idempotent), and pooled connections are dropped so that the next
/// request opens a new one, to the next host of the connection string when that host is gone.
/// </summary>
public static class DatabaseOutage
{
    /// <summary>The error ID of the 503 answer.</summary>
    public const string ErrorId = "DatabaseUnavailable";

    // ER_UNKNOWN_COM_ERROR: what a Galera node answers while it is not part of the primary component.
    private const int WsrepNotReady = 1047;

    /// <summary>Whether <paramref name="error"/> (or what it wraps) is a lost or refused database connection.</summary>
    public static bool Is(Exception? error)
    {
        bool mysql = false, broken = false;
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is MySqlException m)
            {
                mysql = true;
                if (m.ErrorCode is MySqlErrorCode.UnableToConnectToHost || (int)m.ErrorCode == WsrepNotReady)
                    return true;
            }
            else if (e is IOException or SocketException)
                broken = true;
        }
        // A socket error the driver let through as it is (a cut connection during a read or a commit).
        return broken && (mysql || error!.StackTrace?.Contains("MySqlConnector.", StringComparison.Ordinal) == true);
    }

    /// <summary>Drops every pooled MySQL connection (some point at a host that is gone); new ones are opened as needed.</summary>
    public static Task ForgetConnectionsAsync() => MySqlConnection.ClearAllPoolsAsync();
}
