BeforeDiscovery { $script:noSocat = -not (Get-Command socat -ErrorAction Ignore) }
BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    . "$PSScriptRoot/NodeSimulatorHelpers.ps1"
}

Describe 'Start-ProvNodeSimulator' {
    AfterEach {
        if ($client) { Close-TestNode $client; $client = $null }
        if ($sim) { $sim | Stop-ProvNodeSimulator; $sim = $null }
    }

    It 'serves on a free TCP port and reports the node ID given in hex' {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId 0x1234ABCD -NodeType UNODE -HardwareType rev-c -FirmwareVersion 2.1.0

        $sim.Endpoint | Should -Match '^tcp://127\.0\.0\.1:\d+$'
        $sim.Endpoint | Should -Not -Be 'tcp://127.0.0.1:0'
        $client = Connect-TestNode $sim.Endpoint
        $info = Get-TestNodeInfo $client
        $info.NodeId | Should -Be 0x1234ABCD
        $info.NodeType | Should -Be 'UNODE'
        $info.HardwareType | Should -Be 'rev-c'
        $info.FirmwareVersion | Should -Be '2.1.0'
    }

    It 'shows a table with the node ID, endpoint and firmware version' {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId 4660
        $text = $sim | Format-Table | Out-String -Width 500
        $text | Should -Match '0x00001234'
        $text | Should -Match ([regex]::Escape($sim.Endpoint))
        $text | Should -Match '1\.0\.0'
    }

    It 'keeps firmware written to it in its state file across a restart' {
        $state = Join-Path $TestDrive 'node.json'
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -StatePath $state
        $client = Connect-TestNode $sim.Endpoint
        Write-TestFirmware $client (New-TestImage 9000) '3.0.0'
        Close-TestNode $client; $client = $null
        $sim | Stop-ProvNodeSimulator

        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -StatePath $state
        $sim.State.FirmwareVersion | Should -Be '3.0.0'
        (Get-Content $state -Raw | ConvertFrom-Json).firmwareVersion | Should -Be '3.0.0'
        if (-not $IsWindows) { (Get-Item $state).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite') }
    }

    It 'rejects firmware when asked to' {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -RejectFirmware
        $client = Connect-TestNode $sim.Endpoint
        $e = { Write-TestFirmware $client (New-TestImage 3000) '9' } | Should -Throw -PassThru
        $e.Exception.InnerException.Code | Should -Be 'ImageRejected'
        $sim.State.FirmwareVersion | Should -Be '1.0.0'
    }

    It 'drops messages longer than -MaxMessageSize unanswered, as a host with that receive buffer would' {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -MaxMessageSize 300
        $sim.MaxMessageSize | Should -Be 300
        $client = Connect-TestNode $sim.Endpoint
        (Get-TestNodeInfo $client).NodeId | Should -Be 1
        # The station sends 4 KiB chunks at first (none has no limit of its own); the host drops them, smaller ones pass.
        Write-TestFirmware $client (New-TestImage 30000) '3.1'
        $sim.MessagesTooLarge | Should -BeGreaterThan 0
        $sim.State.FirmwareVersion | Should -Be '3.1'
    }

    It 'takes the guide''s 512-byte host buffer behind orw, and no limit of its own behind none' {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Wrapper orw
        $sim.MaxMessageSize | Should -Be 512
        $sim | Stop-ProvNodeSimulator
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0
        $sim.MaxMessageSize | Should -BeGreaterThan 8192
    }

    It 'puts seeded noise on the line: -Seed <Seed> is reported, and firmware still arrives intact' -ForEach @(@{ Seed = 5 }, @{ Seed = 6 }) {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Wrapper orw -BitErrorRate 1e-4 -ByteDropRate 1e-5 -Seed $Seed
        $sim.NoiseSeed | Should -Be $Seed
        $sim.Options.Noise.BitErrorRate | Should -Be 1e-4
        $client = Connect-TestNode $sim.Endpoint -Wrapper orw
        $image = New-TestImage 40000
        Write-TestFirmware $client $image '3.2'
        $sim.State.FirmwareSha256 | Should -Be ([Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($image)))
        $client.ChunksLost | Should -BeGreaterThan 0 -Because 'the noise really damaged chunks'
    }

    It 'chooses and reports a seed when none is given' {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -BitErrorRate 1e-6
        $sim.NoiseSeed | Should -BeOfType [int]
    }

    It 'refuses a bit error rate that is not a probability' {
        { Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -BitErrorRate 2 -ErrorAction Stop } | Should -Throw '*BitErrorRate*'
    }

    It 'answers nothing when silent' {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Silent
        $client = Connect-TestNode $sim.Endpoint
        $e = { Get-TestNodeInfo $client } | Should -Throw -PassThru
        $e.Exception.InnerException.NeverAnswered | Should -BeTrue
    }

    It 'refuses an unknown wrapper and names the known ones' {
        { Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Wrapper nosuch -ErrorAction Stop } | Should -Throw '*nosuch*none, orw*'
    }

    It 'refuses a node ID that does not fit 32 bits' {
        { Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId 0x100000000 } | Should -Throw '*unsigned 32-bit*'
    }

    It 'names a serial port that does not exist' {
        { Start-ProvNodeSimulator -PortName /dev/ttyNOPE7 -ErrorAction Stop } | Should -Throw '*/dev/ttyNOPE7*cable*'
    }

    It 'does nothing with -WhatIf' {
        Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -WhatIf | Should -BeNullOrEmpty
    }

    It 'serves a virtual serial pair behind the orw wrapper' -Skip:$noSocat {
        $pair = New-ProvVirtualSerialPair -Path $TestDrive
        try {
            $sim = Start-ProvNodeSimulator -PortName $pair.PortB -Wrapper orw -NodeId 77
            $client = Connect-TestNode $pair.PortA -Wrapper orw
            (Get-TestNodeInfo $client).NodeId | Should -Be 77
            Write-TestFirmware $client (New-TestImage 20000) '4.0'
            $sim.State.FirmwareVersion | Should -Be '4.0'
        }
        finally {
            if ($client) { Close-TestNode $client; $client = $null }
            if ($sim) { $sim | Stop-ProvNodeSimulator; $sim = $null }
            $pair | Remove-ProvVirtualSerialPair
        }
    }
}

Describe 'A wrapper of your own' {
    It 'compiled with Add-Type carries the whole protocol between a station and the simulator' {
        $core = [Provisioning.Core.Wrappers.TransportWrapper].Assembly.Location
        # docs/node-protocol.md "Writing your own wrapper": a 0x7E start byte, a length byte count and an XOR check byte.
        Add-Type -ReferencedAssemblies $core, System.Memory, System.Runtime, System.Collections -TypeDefinition @'
using System;
using System.Buffers;
using System.Collections.Generic;
using Provisioning.Core.Wrappers;

[TransportWrapperName("pester-xor")]
public sealed class PesterXorWrapper : TransportWrapper
{
    private readonly List<byte> _buffer = new List<byte>();
    public override string Name => "pester-xor";
    public override int Overhead => 4;

    public override void Egress(ReadOnlySpan<byte> nodeMessage, IBufferWriter<byte> line)
    {
        Span<byte> span = line.GetSpan(nodeMessage.Length + 4);
        span[0] = 0x7E;
        span[1] = (byte)(nodeMessage.Length & 0xFF);
        span[2] = (byte)(nodeMessage.Length >> 8);
        nodeMessage.CopyTo(span.Slice(3));
        byte check = 0;
        foreach (byte b in nodeMessage) check ^= b;
        span[3 + nodeMessage.Length] = check;
        line.Advance(nodeMessage.Length + 4);
    }

    public override void Ingress(ReadOnlySpan<byte> lineBytes, IWrapperSink sink)
    {
        foreach (byte b in lineBytes) _buffer.Add(b);
        while (_buffer.Count >= 4)
        {
            if (_buffer[0] != 0x7E) { _buffer.RemoveAt(0); continue; }
            int length = _buffer[1] | _buffer[2] << 8;
            if (_buffer.Count < length + 4) return;
            byte[] message = _buffer.GetRange(3, length).ToArray();
            byte check = 0;
            foreach (byte b in message) check ^= b;
            if (check == _buffer[3 + length]) { sink.OnNodeBytes(message); _buffer.RemoveRange(0, length + 4); }
            else { sink.OnDamaged("xor check"); _buffer.RemoveAt(0); }
        }
    }
}
'@
        [Provisioning.Core.Wrappers.TransportWrappers]::Available() | Should -Contain 'pester-xor'
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Wrapper pester-xor -NodeId 0xBEEF
        try {
            $client = Connect-TestNode $sim.Endpoint -Wrapper pester-xor
            (Get-TestNodeInfo $client).NodeId | Should -Be 0xBEEF
            Write-TestFirmware $client (New-TestImage 12000) '5.5'
            $sim.State.FirmwareVersion | Should -Be '5.5'
            $client.LinkStatistics.Item1 | Should -Be 0 -Because "no frame was damaged (Item1: DamagedFrames)"
            # A station on the plain line cannot talk to it: the wrapper is really on the wire.
            Close-TestNode $client
            $client = Connect-TestNode $sim.Endpoint -Wrapper none
            { Get-TestNodeInfo $client } | Should -Throw '*No device answered*'
        }
        finally {
            if ($client) { Close-TestNode $client }
            $sim | Stop-ProvNodeSimulator
        }
    }
}

Describe 'Start-ProvNodeSimulator node type' {
    It 'reports by default a node type that -NodeType completion offers and that packages of the examples use' {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0
        $client = Connect-TestNode $sim.Endpoint
        try { $reported = (Get-TestNodeInfo $client).NodeType }
        finally { Close-TestNode $client; $sim | Stop-ProvNodeSimulator }
        $line = 'Start-ProvNodeSimulator -NodeType '
        $offered = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $offered | Should -Contain $reported
        $reported | Should -Be 'UNODE'
        $line = 'New-ProvPackage -NodeType '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be $offered
    }
}

Describe 'Serial port completion' -Skip:$noSocat {
    It 'offers the virtual pairs of this session: the station end to Invoke-NodeProvision, the node end to the simulator' {
        $pair = New-ProvVirtualSerialPair -Path (Join-Path $TestDrive 'ports')
        try {
            $line = 'Invoke-NodeProvision -Port '
            $station = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
            $station.CompletionText | Should -Contain $pair.PortA
            $station.CompletionText | Should -Not -Contain $pair.PortB
            $line = "Start-ProvNodeSimulator -PortName $(Split-Path $pair.PortB)/"
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @($pair.PortB)
        }
        finally { $pair | Remove-ProvVirtualSerialPair }
        $line = 'Invoke-NodeProvision -Port '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Not -Contain $pair.PortA
    }
}

Describe 'Serial port completion of paths' {
    It 'falls back to file paths when no serial device or pair matches' {
        $folder = New-Item -ItemType Directory (Join-Path $TestDrive 'by-id')
        $null = New-Item -ItemType File (Join-Path $folder 'usb-FTDI_FT232R-if00-port0')
        $line = "Invoke-NodeProvision -Port $folder/usb-F"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText |
            Should -Be @("$folder/usb-FTDI_FT232R-if00-port0")
    }
}
