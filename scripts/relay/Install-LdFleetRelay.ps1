#Requires -Version 5.1
#Requires -RunAsAdministrator
<#
.SYNOPSIS
Installs (or upgrades) the LdFleet relay of one site on a Windows PC that runs LDPlayer.

.DESCRIPTION
Copies LdFleet.Relay.exe (dotnet publish relay-agent/LdFleet.Relay.csproj -p:PublishProfile=win-x64) to the
install folder, writes the relay's settings (site id, transport connection strings, LDPlayer hosts) to a file
only the relay's account and administrators can read, and registers the relay so it starts by itself.

LDPlayer's ldconsole.exe only works in the interactive desktop session of the user who runs LDPlayer. From
session 0 - where every Windows service runs, whatever its account, and where SSH sessions land - "launch"
starts nothing and "quit" does nothing while both report success. Hence two modes:

  -Mode Task (default)  A scheduled task that starts the relay when that user logs on, in that user's desktop
                        session, restarts it after a failure, and never stops it. This is the mode that drives
                        LDPlayer. The PC must log that user on after a reboot (automatic logon, or someone signs in).
  -Mode Service         A Windows service (name LdFleetRelay) under -Credential, running in session 0. It only
                        makes sense when every LDPlayer host is reached some other way; with a local host it needs
                        -Force, because local launches will fail as NoEffect. LocalSystem is refused unless -Force.

Secrets (connection strings, the service password) are read as SecureString, prompted for when not given, written
only to the protected settings file and never printed.

.PARAMETER SiteId
The site this relay serves, as in infra/main.parameters.json: lower-case letters, digits, single hyphens.

.PARAMETER BinaryPath
Path of the published LdFleet.Relay.exe. appsettings.json next to it is installed too.

.PARAMETER TransportConnectionString
Azure: the connection string of the site's SAS rule on its command queue (rule relay-<site> on queue
ldfleet-site-<site>). Also accepted: any transport connection string the relay understands.

.PARAMETER ResultsConnectionString
Azure: the connection string of the site's SAS rule on the results queue (rule relay-<site> on ldfleet-results).
Prompted for when the transport string is a Service Bus rule on one queue (it has EntityPath).

.PARAMETER HostId
Id of this PC as an LDPlayer host, as the cloud addresses it. Default: the computer name in lower case.

.PARAMETER LdConsolePath
Full path of ldconsole.exe. Default: found through LDPlayer's registry keys and usual install folders.

.PARAMETER AdditionalHosts
More LDPlayer hosts, as hashtables with the relay's host settings, e.g.
@{ Id = 'pc-07'; Kind = 'Ssh'; LdConsolePath = 'C:\LDPlayer\LDPlayer9\ldconsole.exe'; Ssh = @{ Address = '192.168.1.57';
UserName = 'ldplayer'; PrivateKeyPath = 'C:\ProgramData\LdFleet\Relay\relay_ed25519'; HostKeyFingerprint = 'SHA256:...' } }

.PARAMETER Mode
Task (default) or Service; see the description.

.PARAMETER User
Task mode: the Windows account LDPlayer runs under. Default: the user signed in at the console.

.PARAMETER Credential
Service mode: the account the service runs as. It needs the "Log on as a service" right.

.PARAMETER InstallDirectory
Where the executable goes. Default: %ProgramFiles%\LdFleet\Relay.

.PARAMETER DataDirectory
Where the settings file and the command journal go. Default: %ProgramData%\LdFleet\Relay.

.PARAMETER Force
Allow Service mode with a local host or without a user account, and replace an existing install without asking.

.EXAMPLE
.\Install-LdFleetRelay.ps1 -SiteId lab -BinaryPath .\LdFleet.Relay.exe

Prompts for the two connection strings, finds LDPlayer, and registers the logon task for the console user.

.EXAMPLE
.\Install-LdFleetRelay.ps1 -SiteId lab -BinaryPath .\LdFleet.Relay.exe -WhatIf

Shows what would be done; changes nothing.
#>
[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
param(
    [Parameter(Mandatory = $true)]
    [ValidatePattern('^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,39}$')]
    [string] $SiteId,

    [Parameter(Mandatory = $true)]
    [ValidateScript({ Test-Path -LiteralPath $_ -PathType Leaf })]
    [string] $BinaryPath,

    [securestring] $TransportConnectionString,

    [securestring] $ResultsConnectionString,

    [ValidatePattern('^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')]
    [string] $HostId = $env:COMPUTERNAME.ToLowerInvariant(),

    [ValidateScript({ Test-Path -LiteralPath $_ -PathType Leaf })]
    [string] $LdConsolePath,

    [hashtable[]] $AdditionalHosts = @(),

    [ValidateSet('Task', 'Service')]
    [string] $Mode = 'Task',

    [ValidateNotNullOrEmpty()]
    [string] $User,

    [pscredential] $Credential,

    [ValidateNotNullOrEmpty()]
    [string] $InstallDirectory = (Join-Path $env:ProgramFiles 'LdFleet\Relay'),

    [ValidateNotNullOrEmpty()]
    [string] $DataDirectory = (Join-Path $env:ProgramData 'LdFleet\Relay'),

    [switch] $Force
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

# Names shared with the relay (relay-agent/Hosting/RelayHost.cs) and the uninstall script.
$ServiceName = 'LdFleetRelay'
$TaskPath = '\LdFleet\'
$EventSource = 'LdFleet.Relay'

function ConvertTo-PlainText([securestring] $Secure) {
    # Only to write the settings file; the plain copy is never printed.
    $bstr = [Runtime.InteropServices.Marshal]::SecureStringToBSTR($Secure)
    try { return [Runtime.InteropServices.Marshal]::PtrToStringBSTR($bstr) }
    finally { [Runtime.InteropServices.Marshal]::ZeroFreeBSTR($bstr) }
}

function Find-LdConsole {
    # LDPlayer records its folder as InstallDir under one of these keys, per generation and edition
    # (shared/reference/ldconsole.md, section 1.2); newest first.
    $keys = @(
        'SOFTWARE\leidian\ldplayer14', 'SOFTWARE\XuanZhi\LDPlayer9', 'SOFTWARE\leidian\ldplayer9',
        'SOFTWARE\XuanZhi\LDPlayer64', 'SOFTWARE\XuanZhi\LDPlayer', 'SOFTWARE\leidian\ldplayer', 'SOFTWARE\ChangZhi'
    )
    $candidates = New-Object System.Collections.Generic.List[string]
    foreach ($hive in 'HKCU:', 'HKLM:', 'HKLM:\SOFTWARE\WOW6432Node') {
        $roots = @($keys | ForEach-Object { if ($hive -like '*WOW6432Node') { Join-Path $hive ($_ -replace '^SOFTWARE\\', '') } else { Join-Path $hive $_ } })
        # Other LDPlayer* keys under leidian are emulators too, except the multi-instance manager and the wujie app.
        $leidian = if ($hive -like '*WOW6432Node') { Join-Path $hive 'leidian' } else { Join-Path $hive 'SOFTWARE\leidian' }
        if (Test-Path -LiteralPath $leidian) {
            $roots += @(Get-ChildItem -LiteralPath $leidian -ErrorAction SilentlyContinue |
                Where-Object { $_.PSChildName -like 'ldplayer*' } | ForEach-Object { $_.PSPath })
        }
        foreach ($root in $roots) {
            $dir = (Get-ItemProperty -LiteralPath $root -Name InstallDir -ErrorAction SilentlyContinue).InstallDir
            if ($dir) { $candidates.Add($dir) }
        }
    }
    foreach ($drive in 'C:', 'D:') {
        foreach ($dir in 'LDPlayer\LDPlayer9', 'leidian\LDPlayer9', 'leidian\LDPlayer14', 'LDPlayer\LDPlayer64', 'LDPlayer\LDPlayer4.0', 'leidian\LDPlayer4', 'ChangZhi\dnplayer2') {
            $candidates.Add("$drive\$dir")
        }
    }
    foreach ($dir in ($candidates | Select-Object -Unique)) {
        # Older builds ship the same tool as dnconsole.exe.
        foreach ($exe in 'ldconsole.exe', 'dnconsole.exe') {
            $path = Join-Path $dir $exe
            if (Test-Path -LiteralPath $path -PathType Leaf) { return $path }
        }
    }
    return $null
}

function Test-UserAccount([string] $Name) {
    $builtIn = 'LocalSystem', 'NT AUTHORITY\SYSTEM', 'SYSTEM', 'NT AUTHORITY\LocalService', 'NT AUTHORITY\LOCAL SERVICE',
        'NT AUTHORITY\NetworkService', 'NT AUTHORITY\NETWORK SERVICE', '.\LocalSystem'
    return -not ($builtIn -contains $Name)
}

if ($env:OS -ne 'Windows_NT') { throw 'The relay installer runs on Windows only (on Linux run the relay directly; see README).' }

# --- Who runs the relay -------------------------------------------------------------------------------------
if ($Mode -eq 'Task') {
    if ($Credential) { throw '-Credential is for -Mode Service. A logon task runs in the user''s own session and needs no password: use -User.' }
    if (-not $User) {
        # The user signed in at the console, not the (possibly different) administrator running this script.
        $User = (Get-CimInstance -ClassName Win32_ComputerSystem).UserName
        if (-not $User) { $User = "$env:USERDOMAIN\$env:USERNAME" }
    }
    if (-not (Test-UserAccount $User)) { throw "-User $User is a built-in service account; the task must run as the user who runs LDPlayer." }
    $account = $User
}
else {
    Write-Warning ('A Windows service runs in session 0, whatever its account. There ldconsole.exe does nothing: launches fail as NoEffect ' +
        'and quits look verified although nothing stopped. Use -Mode Task for LDPlayer on this PC.')
    if ($User) { throw '-User is for -Mode Task; a service takes -Credential.' }
    if (-not $Credential) {
        if (-not $Force) { throw 'Service mode needs -Credential (a user account). Running as LocalSystem is refused without -Force.' }
        $account = 'LocalSystem'
    }
    else {
        $account = $Credential.UserName
        if (-not (Test-UserAccount $account) -and -not $Force) { throw "Service mode refuses $account without -Force; give -Credential for a user account." }
    }
}

# --- LDPlayer hosts -----------------------------------------------------------------------------------------
if (-not $LdConsolePath) {
    $LdConsolePath = Find-LdConsole
    if (-not $LdConsolePath) {
        throw ('No LDPlayer found (registry InstallDir under SOFTWARE\XuanZhi or SOFTWARE\leidian, or the usual folders on C: and D:). ' +
            'Pass -LdConsolePath <full path of ldconsole.exe>. Note: HKCU is the hive of the account running this script.')
    }
    Write-Host "LDPlayer: $LdConsolePath"
}
$hosts = @([ordered]@{ Id = $HostId; LdConsolePath = (Resolve-Path -LiteralPath $LdConsolePath).Path }) + @($AdditionalHosts)
$ids = @($hosts | ForEach-Object { $_['Id'] })
if (($ids | Select-Object -Unique).Count -ne $ids.Count) { throw "Host ids must be unique: $($ids -join ', ')." }
if ($Mode -eq 'Service' -and -not $Force -and @($hosts | Where-Object { -not $_['Kind'] -or $_['Kind'] -eq 'Local' }).Count -gt 0) {
    throw 'Service mode with a local LDPlayer host cannot work (session 0, see above). Use -Mode Task, or -Force if you know better.'
}

# --- Secrets ------------------------------------------------------------------------------------------------
if (-not $TransportConnectionString) {
    $TransportConnectionString = Read-Host -AsSecureString "Transport connection string for site $SiteId (Azure: rule relay-$SiteId on queue ldfleet-site-$SiteId)"
}
$transport = ConvertTo-PlainText $TransportConnectionString
if ([string]::IsNullOrWhiteSpace($transport)) { throw 'The transport connection string is empty.' }
$results = $null
if ($transport -match '(^|;)\s*Endpoint\s*=\s*sb://' -and $transport -match '(^|;)\s*EntityPath\s*=') {
    # A rule on one queue: results need the site's rule on the results queue as well.
    if (-not $ResultsConnectionString) {
        $ResultsConnectionString = Read-Host -AsSecureString "Results connection string for site $SiteId (rule relay-$SiteId on queue ldfleet-results)"
    }
}
if ($ResultsConnectionString) {
    $results = ConvertTo-PlainText $ResultsConnectionString
    if ([string]::IsNullOrWhiteSpace($results)) { throw 'The results connection string is empty.' }
}

$relay = [ordered]@{
    SiteId      = $SiteId
    JournalPath = (Join-Path $DataDirectory "relay-$SiteId.db")
    Hosts       = $hosts
}
if ($results) { $relay['ResultsConnectionString'] = $results }
$settingsJson = [ordered]@{ Relay = $relay; Transport = [ordered]@{ ConnectionString = $transport } } | ConvertTo-Json -Depth 6
$transport = $null
$results = $null

# --- Install ------------------------------------------------------------------------------------------------
$exe = Join-Path $InstallDirectory 'LdFleet.Relay.exe'
$settingsPath = Join-Path $DataDirectory 'relay.settings.json'
$task = Get-ScheduledTask -TaskPath $TaskPath -TaskName $ServiceName -ErrorAction SilentlyContinue
$service = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if (($task -or $service) -and -not $Force -and -not $PSCmdlet.ShouldContinue('An LdFleet relay is already installed on this PC. Replace it?', 'LdFleet relay')) {
    return
}

if ($task -and $PSCmdlet.ShouldProcess("scheduled task $TaskPath$ServiceName", 'Stop and remove')) {
    Stop-ScheduledTask -TaskPath $TaskPath -TaskName $ServiceName -ErrorAction SilentlyContinue
    Unregister-ScheduledTask -TaskPath $TaskPath -TaskName $ServiceName -Confirm:$false
}
if ($service -and $PSCmdlet.ShouldProcess("service $ServiceName", 'Stop and remove')) {
    Stop-Service -Name $ServiceName -Force -ErrorAction SilentlyContinue
    & sc.exe delete $ServiceName | Out-Null
}
# The relay may take a moment to exit after its task or service is stopped; the exe is locked until then.
Get-Process -Name 'LdFleet.Relay' -ErrorAction SilentlyContinue | Where-Object { $_.Path -eq $exe } | ForEach-Object {
    if ($PSCmdlet.ShouldProcess("process $($_.Id)", 'Stop the running relay')) { $_ | Stop-Process -Force; $_.WaitForExit(10000) | Out-Null }
}

if ($PSCmdlet.ShouldProcess($InstallDirectory, 'Install LdFleet.Relay.exe')) {
    New-Item -ItemType Directory -Force -Path $InstallDirectory | Out-Null
    Copy-Item -LiteralPath $BinaryPath -Destination $exe -Force
    $defaults = Join-Path (Split-Path -Parent $BinaryPath) 'appsettings.json'
    if (Test-Path -LiteralPath $defaults) { Copy-Item -LiteralPath $defaults -Destination $InstallDirectory -Force }
}

if ($PSCmdlet.ShouldProcess($DataDirectory, "Write the relay settings, readable by $account, SYSTEM and Administrators only")) {
    New-Item -ItemType Directory -Force -Path $DataDirectory | Out-Null
    # Inherited rights removed first: ProgramData lets every user read by default, and the file holds keys.
    $grantee = if ($account -eq 'LocalSystem') { '*S-1-5-18' } else { $account }
    & icacls.exe $DataDirectory /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' "${grantee}:(OI)(CI)M" | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "Could not restrict access to $DataDirectory (icacls exit code $LASTEXITCODE)." }
    [IO.File]::WriteAllText($settingsPath, $settingsJson, (New-Object Text.UTF8Encoding $false))
}
$settingsJson = $null

if (-not [Diagnostics.EventLog]::SourceExists($EventSource) -and $PSCmdlet.ShouldProcess($EventSource, 'Register the Event Log source')) {
    # Registered here, as administrator: the relay's own account may not create it, and a service logs there.
    [Diagnostics.EventLog]::CreateEventSource($EventSource, 'Application')
}

# A check before anything starts: the relay reads the same settings and lists every host's emulators.
if ($PSCmdlet.ShouldProcess($exe, 'Check the configuration (LdFleet.Relay inventory)')) {
    $inventory = & $exe inventory --settings $settingsPath 2>&1
    switch ($LASTEXITCODE) {
        0 { Write-Host 'Configuration check passed: every host answered.' }
        2 { $inventory | Write-Host; throw 'The relay configuration is not valid (above). Nothing was registered; fix it and run this script again.' }
        default { $inventory | Select-Object -Last 5 | Write-Host; Write-Warning 'A host did not answer the check (above). The relay is registered anyway; it retries.' }
    }
}

$arguments = "--settings `"$settingsPath`""
if ($Mode -eq 'Task') {
    if ($PSCmdlet.ShouldProcess("scheduled task $TaskPath$ServiceName for $account", 'Register (at logon, in the user''s session) and start')) {
        $action = New-ScheduledTaskAction -Execute $exe -Argument $arguments -WorkingDirectory $InstallDirectory
        $trigger = New-ScheduledTaskTrigger -AtLogOn -User $account
        # Interactive: runs only while the user is logged on, in their desktop session, which is what ldconsole needs.
        $principal = New-ScheduledTaskPrincipal -UserId $account -LogonType Interactive -RunLevel Limited
        $options = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -StartWhenAvailable `
            -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) -MultipleInstances IgnoreNew
        Register-ScheduledTask -TaskPath $TaskPath -TaskName $ServiceName -Action $action -Trigger $trigger -Principal $principal `
            -Settings $options -Description "LdFleet relay for site $SiteId" -Force | Out-Null
        try {
            Start-ScheduledTask -TaskPath $TaskPath -TaskName $ServiceName
            Write-Host "Relay started for site $SiteId in $account's session (scheduled task $TaskPath$ServiceName)."
        }
        catch {
            Write-Warning "Registered; the relay starts when $account logs on ($($_.Exception.Message))."
        }
        Write-Host "Make sure $account is logged on after every reboot (automatic logon), or the relay and LDPlayer stay down."
    }
}
else {
    if ($PSCmdlet.ShouldProcess("service $ServiceName as $account", 'Register and start')) {
        $binary = "`"$exe`" $arguments"
        $serviceArgs = @{ Name = $ServiceName; BinaryPathName = $binary; DisplayName = 'LdFleet relay'; StartupType = 'Automatic'
            Description = "LdFleet relay for site $SiteId" }
        if ($Credential) { $serviceArgs['Credential'] = $Credential }
        New-Service @serviceArgs | Out-Null
        # Exit code 2 (bad configuration) also restarts after a minute; the Event Log says what to fix.
        & sc.exe failure $ServiceName reset= 86400 actions= restart/60000/restart/60000/restart/60000 | Out-Null
        try {
            Start-Service -Name $ServiceName
            Write-Host "Service $ServiceName started as $account."
        }
        catch {
            throw "Service $ServiceName did not start: $($_.Exception.Message) Error 1069 means $account lacks the 'Log on as a service' right (secpol.msc, Local Policies, User Rights Assignment)."
        }
    }
}
