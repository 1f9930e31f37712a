using System.Data;
using System.Globalization;
using Dapper;

namespace Provisioning.Server.Store.Sql;

/// <summary>
/// Dapper's converters for the store's rows, registered once per process (<see cref="Register"/>, called by
/// <see cref="SqlProvStore"/>'s type initialiser). Each driver hands integers over in its own type (SQLite: always
/// <c>long</c>; MySQL: <c>ulong</c>/<c>uint</c> for unsigned columns, <c>bool</c> for TINYINT(1); SQL Server: <c>long</c>,
/// <c>int</c>, <c>bool</c> for BIT, <c>decimal</c>), so these convert whatever arrives into the row's member type:
/// config IDs (<c>ulong</c>, from the same 64 bits in a signed column where the engine has no unsigned one), node IDs and
/// batches (<c>uint</c>, checked), flags (<c>bool</c>). Columns map to members by name, snake_case to PascalCase.
/// </summary>
/// <remarks>
/// Only reading goes through these: Dapper binds parameters of built-in types itself, which is why config ID parameters
/// pass through <see cref="SqlDialect.ConfigId"/> and node IDs are bound as <c>long</c>.
/// </remarks>
public static class StoreTypeHandlers
{
    private static int _registered;

    /// <summary>Registers the converters and name matching with Dapper; later calls do nothing.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1)
            return;
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new UInt64Handler());
        SqlMapper.AddTypeHandler(new UInt32Handler());
        SqlMapper.AddTypeHandler(new BooleanHandler());
    }

    private sealed class UInt64Handler : SqlMapper.TypeHandler<ulong>
    {
        public override ulong Parse(object value) => value switch
        {
            ulong u => u,
            long l => unchecked((ulong)l), // the same 64 bits, stored signed
            decimal d => decimal.ToUInt64(d),
            _ => Convert.ToUInt64(value, CultureInfo.InvariantCulture),
        };

        public override void SetValue(IDbDataParameter parameter, ulong value) => parameter.Value = value;
    }

    private sealed class UInt32Handler : SqlMapper.TypeHandler<uint>
    {
        public override uint Parse(object value) => value switch
        {
            uint u => u,
            long l => checked((uint)l),
            int i => checked((uint)i),
            _ => Convert.ToUInt32(value, CultureInfo.InvariantCulture),
        };

        public override void SetValue(IDbDataParameter parameter, uint value) => parameter.Value = (long)value;
    }

    private sealed class BooleanHandler : SqlMapper.TypeHandler<bool>
    {
        public override bool Parse(object value) => value switch
        {
            bool b => b,
            long l => l != 0,
            int i => i != 0,
            sbyte s => s != 0,
            byte b => b != 0,
            ulong u => u != 0,
            _ => Convert.ToBoolean(value, CultureInfo.InvariantCulture),
        };

        public override void SetValue(IDbDataParameter parameter, bool value) => parameter.Value = value;
    }
}
