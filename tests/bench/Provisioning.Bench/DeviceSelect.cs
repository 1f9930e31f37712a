using System.Data.Common;
using System.Diagnostics;
using Provisioning.Core.Api;

namespace Provisioning.Bench;

/// <summary>
/// The export's baseline: the rows and columns the store's export query returns (the live records of one config in
/// node order), read through the same driver with every column materialised, and nothing else.
/// </summary>
internal static class DeviceSelect
{
    private const string Sql =
        "SELECT node_id, config_id, batch, ts, status, encrypted_root_key, key_algorithm, kms_fingerprint, apps, app_data " +
        "FROM device_records WHERE config_id = @config AND status IN (@confirmed, @pending)";

    /// <summary>
    /// Rows read, bytes of column data, seconds from opening the connection to the last row and this process's CPU seconds. In node order as the
    /// export file lists them, or (<paramref name="ordered"/> false) in whatever order the database finds them, which
    /// shows what the ordering costs.
    /// </summary>
    public static async Task<(long Rows, long Bytes, double Seconds, double? Cpu)> RunAsync(BenchDatabase database, ulong configId, bool ordered = true)
    {
        double? cpu = ProcessCpu.Seconds(Environment.ProcessId);
        var clock = Stopwatch.StartNew();
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = ordered ? Sql + " ORDER BY node_id, id" : Sql;
        command.CommandTimeout = 0;
        Add(command, "@config", database.IsSqlite ? unchecked((long)configId) : configId);
        Add(command, "@confirmed", DeviceStatus.Confirmed);
        Add(command, "@pending", DeviceStatus.Pending);
        long rows = 0, bytes = 0;
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                long node = reader.GetInt64(0), config = reader.GetInt64(1), batch = reader.GetInt64(2), ts = reader.GetInt64(3);
                string status = reader.GetString(4);
                byte[] key = reader.GetFieldValue<byte[]>(5);
                string algorithm = reader.GetString(6), fingerprint = reader.GetString(7);
                string? apps = reader.IsDBNull(8) ? null : reader.GetString(8);
                byte[]? appData = reader.IsDBNull(9) ? null : reader.GetFieldValue<byte[]>(9);
                bytes += 32 + status.Length + key.Length + algorithm.Length + fingerprint.Length + (apps?.Length ?? 0) + (appData?.Length ?? 0) +
                    ((node ^ config ^ batch ^ ts) & 1);
                rows++;
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        return (rows, bytes, seconds, ProcessCpu.Seconds(Environment.ProcessId) - cpu);
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
