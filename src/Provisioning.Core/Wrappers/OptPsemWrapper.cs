using System.Runtime.InteropServices;
using System.Security;
using System.Text;
using Provisioning.Core.Node;
using Provisioning.Core.Station;
using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers.Psem;

namespace Provisioning.Core.Wrappers;

/// <summary>
/// ANSI C12.18 (PSEM) over a meter's optical port (guide D.3: <c>-b 9600 --wrapper=opt_psem</c>; docs/wrappers.md,
/// "opt_psem"): the station is the C12.18 client and opens a session (Identification, Negotiate, Logon, Security);
/// node messages travel through the meter's node mailbox table (<see cref="PsemMailbox.NodeTable"/>) with Write and
/// Read by offset, host messages through <see cref="PsemMailbox.HostTable"/>; Logoff and Terminate end it.
/// </summary>
[TransportWrapperName(TransportWrappers.OptPsem)]
public sealed class OptPsemWrapper : LinkWrapper
{
    /// <summary>The optical port's rate (guide D.3).</summary>
    public const int OpticalBaudRate = 9600;

    /// <inheritdoc/>
    public override string Name => TransportWrappers.OptPsem;

    /// <summary>Bytes around node data in one full-size write: packet header and CRC, and the partial write's own fields.</summary>
    public override int Overhead => PsemPacket.Overhead + PsemCodec.WriteOffsetOverhead;

    /// <summary>Node messages stream through the mailbox in as many requests as they need: the longest node frame fits.</summary>
    public override int MaxMessageSize => NodeFrame.MaxLength;

    /// <summary>
    /// Host role: how the simulated meter negotiates and which faults it injects. Null: 1024-byte packets, 8 per message
    /// (or the host buffer of <see cref="LinkOptions.MaxMessageSize"/> as the packet size, one per message), no faults.
    /// </summary>
    public PsemMeterSettings? Meter { get; set; }

    /// <summary>Station role: the tuning of the C12.18 client; null: the defaults of <see cref="PsemStationOptions"/>.</summary>
    public PsemStationOptions? Station { get; set; }

    /// <inheritdoc/>
    public override async Task<LinkSession> OpenAsync(INodeTransport line, LinkRole role, LinkOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(options);
        if (role == LinkRole.Host) return new OptPsemHostSession(this, line, options, MeterSettings(options));

        var station = StationOptions(line, options);
        try
        {
            var client = await PsemStation.OpenAsync(line, station, cancellationToken).ConfigureAwait(false);
            return new OptPsemStationSession(this, line, options, client);
        }
        catch
        {
            await line.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private PsemStationOptions StationOptions(INodeTransport line, LinkOptions options)
    {
        var station = Station ?? new PsemStationOptions();
        var timing = station.Timing;
        if (options.ResponseTimeout is { } response) timing = timing with { ResponseTimeoutMs = (long)response.TotalMilliseconds };
        if (options.Resends is { } resends) timing = timing with { Retries = resends };
        return station with
        {
            BaudRate = line.BaudRate ?? options.BaudRate,
            Timing = timing,
            RequestedPacketSize = options.MaxMessageSize is { } max ? Math.Min(max, station.RequestedPacketSize) : station.RequestedPacketSize,
            Password = options.Password is { } p ? PasswordField(p) : station.Password,
            Log = options.Log ?? station.Log,
            // Only a serial port the station owns can change its rate; over TCP the device server's line is fixed.
            SwitchBaudRate = station.SwitchBaudRate ?? (line is SerialNodeTransport serial ? rate => { serial.ChangeBaudRate(rate); return Task.CompletedTask; } : null),
        };
    }

    private PsemMeterSettings MeterSettings(LinkOptions options)
    {
        var meter = Meter ?? (options.MaxMessageSize is { } buffer
            ? new PsemMeterSettings { MaxPacketSize = Math.Clamp(buffer, PsemPacket.DefaultPacketSize, PsemPacket.MaxPacketSize), MaxPackets = 1 }
            : new PsemMeterSettings());
        return meter with
        {
            BaudRate = options.BaudRate,
            Password = options.Password is { } p ? PasswordField(p) : meter.Password,
        };
    }

    /// <summary>
    /// The Security request's 20-byte password field: the password's ASCII bytes, padded with spaces. Throws
    /// <see cref="LinkException"/> (code 3) for a password that is longer or not ASCII. The caller zeroes the result.
    /// </summary>
    public static byte[] PasswordField(SecureString password)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (password.Length > PsemCodec.PasswordLength)
            throw new LinkException(ProvExitCode.InvalidArguments,
                $"A C12.18 optical port password is at most {PsemCodec.PasswordLength} characters; the one given has {password.Length}.");
        var field = new byte[PsemCodec.PasswordLength];
        field.AsSpan().Fill((byte)' ');
        IntPtr text = Marshal.SecureStringToGlobalAllocUnicode(password);
        try
        {
            for (int i = 0; i < password.Length; i++)
            {
                char c = (char)Marshal.ReadInt16(text, i * 2);
                if (c > 0x7E || c < 0x20)
                {
                    Array.Clear(field);
                    throw new LinkException(ProvExitCode.InvalidArguments,
                        "A C12.18 optical port password is printable ASCII (letters, digits, punctuation, space); the one given has another character.");
                }
                field[i] = (byte)c;
            }
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(text);
        }
        return field;
    }

    internal static string Describe(PsemStation station)
        => new StringBuilder().Append(station.PacketSize).Append("-byte packets, ").Append(station.MaxPackets).Append(" per message at ")
            .Append(station.BaudRate).Append(" baud").ToString();
}
