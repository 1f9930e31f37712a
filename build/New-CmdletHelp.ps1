<#
.SYNOPSIS
    Writes the module's MAML help (Provisioning.PowerShell.dll-Help.xml) from module/help/<Cmdlet>.psd1.
.DESCRIPTION
    Each help source is a data file with Synopsis, Description, Parameters (name = text), Defaults
    (name = default shown), Examples (@{ Code; Remarks }), Inputs, Outputs, Notes, Links, and ParametersFrom (a cmdlet whose
    parameter texts and defaults fill in those not given). Syntax, parameter types, positions and
    pipeline input come from the compiled cmdlets themselves, so help cannot drift from the code;
    a parameter without text, or a help file without an example, fails the build.
#>
param(
    [Parameter(Mandatory)] [string] $HelpSource,
    [Parameter(Mandatory)] [string] $OutputPath,
    [string] $AssemblyPath = (Join-Path (Split-Path $OutputPath) 'Provisioning.PowerShell.dll')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
# -WhatIf and -Confirm are shown in syntax and described, as PowerShell's own help does; the rest is <CommonParameters>.
$shouldProcess = [ordered]@{
    WhatIf  = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}
$module = Import-Module $AssemblyPath -PassThru -Force
$maml = 'http://schemas.microsoft.com/maml/2004/10'
$command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'

New-Item -ItemType Directory -Force $OutputPath | Out-Null
$file = Join-Path $OutputPath 'Provisioning.PowerShell.dll-Help.xml'
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
$w = [System.Xml.XmlWriter]::Create($file, $settings)

function Write-Paras([string] $text) {
    # Blank lines separate paragraphs; lines starting with '- ' stay separate list items.
    foreach ($para in ($text -split "\r?\n\s*\r?\n")) {
        foreach ($item in ($para.Trim() -split '\r?\n(?=- )')) {
            $w.WriteElementString('maml', 'para', $maml, ($item.Trim() -replace '\s*\r?\n\s*', ' '))
        }
    }
}
function Write-Description([string] $text) {
    $w.WriteStartElement('maml', 'description', $maml); Write-Paras $text; $w.WriteEndElement()
}
# A type as a reader types it: [Nullable[DateTime]] shows as DateTime, generics without their `1 arity.
function Get-TypeName([type] $type, [bool] $full) {
    $underlying = [Nullable]::GetUnderlyingType($type)
    if ($underlying) { $type = $underlying }
    if ($type.IsGenericType) {
        $arguments = ($type.GetGenericArguments() | ForEach-Object { Get-TypeName $_ $full }) -join ', '
        $name = $(if ($full) { $type.GetGenericTypeDefinition().FullName } else { $type.Name }) -replace '`\d+$', ''
        return "$name[$arguments]"
    }
    if ($full) { $type.FullName } else { $type.Name }
}
function Write-Parameter($param, $setParam, [string] $text, [bool] $full, [string] $default) {
    $pipeline = @()
    if ($setParam.ValueFromPipeline) { $pipeline += 'ByValue' }
    if ($setParam.ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
    $w.WriteStartElement('command', 'parameter', $command)
    $w.WriteAttributeString('required', "$($setParam.IsMandatory)".ToLower())
    $w.WriteAttributeString('position', $(if ($setParam.Position -ge 0) { "$($setParam.Position)" } else { 'named' }))
    $w.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
    $wildcards = [bool]($param.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
    $w.WriteAttributeString('globbing', "$wildcards".ToLower())
    $w.WriteAttributeString('aliases', $(if ($param.Aliases.Count) { $param.Aliases -join ', ' } else { 'none' }))
    $w.WriteElementString('maml', 'name', $maml, $param.Name)
    Write-Description $text
    $isSwitch = $param.ParameterType -eq [System.Management.Automation.SwitchParameter]
    if (-not $isSwitch) {
        $w.WriteStartElement('command', 'parameterValue', $command)
        $w.WriteAttributeString('required', 'true')
        $w.WriteString((Get-TypeName $param.ParameterType $false))
        $w.WriteEndElement()
    }
    if ($full) {
        $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, (Get-TypeName $param.ParameterType $true)); $w.WriteEndElement()
        $w.WriteElementString('dev', 'defaultValue', $dev, $(if ($default) { $default } else { 'None' }))
    }
    $w.WriteEndElement()
}

$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')
foreach ($cmd in Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name) {
    $sourceFile = Join-Path $HelpSource "$($cmd.Name).psd1"
    if (-not (Test-Path $sourceFile)) { throw "No help source for $($cmd.Name): add $sourceFile." }
    $help = Import-PowerShellDataFile $sourceFile
    if (-not $help.Examples) { throw "$sourceFile has no example." }
    # A cmdlet that takes another's parameters (Start-ProvEmcmSimulator those of Start-ProvNodeSimulator) names it in
    # ParametersFrom: descriptions and defaults it does not give itself come from there.
    if ($help.ContainsKey('ParametersFrom')) {
        $base = Import-PowerShellDataFile (Join-Path $HelpSource "$($help.ParametersFrom).psd1")
        foreach ($section in 'Parameters', 'Defaults') {
            if (-not $base.ContainsKey($section)) { continue }
            if (-not $help.ContainsKey($section)) { $help[$section] = @{} }
            foreach ($k in $base[$section].Keys) { if (-not $help[$section].ContainsKey($k)) { $help[$section][$k] = $base[$section][$k] } }
        }
    }
    $own = $cmd.Parameters.Values | Where-Object { $_.Name -notin $common }
    $optional = @($cmd.Parameters.Values | Where-Object { $_.Name -in $shouldProcess.Keys } | Sort-Object { @($shouldProcess.Keys).IndexOf($_.Name) })
    $describe = { param($name) if ($shouldProcess.Contains($name)) { $shouldProcess[$name] } else { $help.Parameters[$name] } }
    foreach ($p in $own) {
        if (-not $help.Parameters.ContainsKey($p.Name)) { throw "$sourceFile does not describe parameter -$($p.Name)." }
    }

    $w.WriteStartElement('command', 'command', $command)
    $w.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $w.WriteStartElement('command', 'details', $command)
    $w.WriteElementString('command', 'name', $command, $cmd.Name)
    $w.WriteElementString('command', 'verb', $command, $cmd.Verb)
    $w.WriteElementString('command', 'noun', $command, $cmd.Noun)
    Write-Description $help.Synopsis
    $w.WriteEndElement()
    Write-Description $help.Description

    $w.WriteStartElement('command', 'syntax', $command)
    foreach ($set in $cmd.ParameterSets) {
        $w.WriteStartElement('command', 'syntaxItem', $command)
        $w.WriteElementString('maml', 'name', $maml, $cmd.Name)
        $inSet = @($set.Parameters | Where-Object { $_.Name -notin $common }) + @($set.Parameters | Where-Object { $_.Name -in $shouldProcess.Keys } |
            Sort-Object { @($shouldProcess.Keys).IndexOf($_.Name) })
        foreach ($sp in $inSet) {
            Write-Parameter $cmd.Parameters[$sp.Name] $sp (& $describe $sp.Name) $false $null
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $command)
    foreach ($p in @($own | Sort-Object Name) + $optional) {
        $first = $p.ParameterSets.Values | Select-Object -First 1
        $setParam = [pscustomobject]@{
            IsMandatory                     = [bool]($p.ParameterSets.Values | Where-Object IsMandatory)
            Position                        = $first.Position
            ValueFromPipeline               = $first.ValueFromPipeline
            ValueFromPipelineByPropertyName = $first.ValueFromPipelineByPropertyName
        }
        $default = if ($help.ContainsKey('Defaults')) { $help.Defaults[$p.Name] } else { $null }
        Write-Parameter $p $setParam (& $describe $p.Name) $true $(if ($default) { $default } elseif ($p.Name -in $shouldProcess.Keys) { 'False' })
    }
    $w.WriteEndElement()

    foreach ($section in @(@('inputTypes', 'inputType', 'Inputs'), @('returnValues', 'returnValue', 'Outputs'))) {
        if (-not $help.ContainsKey($section[2])) { continue }
        $w.WriteStartElement('command', $section[0], $command)
        foreach ($entry in $help[$section[2]].GetEnumerator()) {
            $w.WriteStartElement('command', $section[1], $command)
            $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $entry.Key); $w.WriteEndElement()
            Write-Description $entry.Value
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }

    if ($help.ContainsKey('Notes')) {
        $w.WriteStartElement('maml', 'alertSet', $maml); $w.WriteStartElement('maml', 'alert', $maml)
        Write-Paras $help.Notes
        $w.WriteEndElement(); $w.WriteEndElement()
    }

    $w.WriteStartElement('command', 'examples', $command)
    $n = 0
    foreach ($example in $help.Examples) {
        $n++
        $w.WriteStartElement('command', 'example', $command)
        $w.WriteElementString('maml', 'title', $maml, "-------------------------- Example $n --------------------------")
        $w.WriteElementString('dev', 'code', $dev, $example.Code.Trim())
        $w.WriteStartElement('dev', 'remarks', $dev); Write-Paras $example.Remarks; $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'relatedLinks', $command)
    foreach ($link in @($help['Links'])) {
        if (-not $link) { continue }
        $w.WriteStartElement('maml', 'navigationLink', $maml); $w.WriteElementString('maml', 'linkText', $maml, $link); $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.Dispose()
Remove-Module $module -Force
