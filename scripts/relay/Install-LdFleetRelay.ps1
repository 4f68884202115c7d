#Requires -Version 5.1
#Requires -RunAsAdministrator
<#
.SYNOPSIS
Installs (or upgrades) the LdFleet relay of one site on a Windows PC that runs LDPlayer.

.DESCRIPTION
Copies LdFleet.Relay.exe (dotnet publish relay-agent/LdFleet.Relay.csproj -p:PublishProfile=win-x64) to the
install folder, writes the relay's settings (site id, the queue credentials the API issued for the site, on Service
Bus also the site's connection string, LDPlayer hosts) to a file only the relay's account and administrators can
read, and registers the relay so it starts by itself.

LDPlayer's ldconsole.exe only works in the interactive desktop session of the user who runs LDPlayer. From
session 0 - where every Windows service runs, whatever its account, and where SSH sessions land - "launch"
starts nothing and "quit" does nothing while both report success. Hence two modes:

  -Mode Task (default)  A scheduled task that starts the relay when that user logs on, in that user's desktop
                        session, restarts it after a failure, and never stops it. This is the mode that drives
                        LDPlayer. The PC must log that user on after a reboot (automatic logon, or someone signs in).
  -Mode Service         A Windows service (name LdFleetRelay) under -Credential, running in session 0. It only
                        makes sense when every LDPlayer host is reached some other way; with a local host it needs
                        -Force, because local launches will fail as NoEffect. LocalSystem is refused unless -Force.

Secrets (the relay credentials, the Service Bus connection string, the service password) are read from a file or
as SecureString, prompted for when not given, checked against -SiteId before anything is installed, written only to
the protected settings file and never printed.

.PARAMETER SiteId
The site this relay serves, as in infra/main.parameters.json: lower-case letters, digits, single hyphens.

.PARAMETER BinaryPath
Path of the published LdFleet.Relay.exe. appsettings.json next to it is installed too.

.PARAMETER RelayCredentialsFile
Path of a file holding the API's answer to POST /api/sites (registration) or POST /api/sites/<site>/relay-credentials,
saved as it came (or just its relayCredentials object). Its queue URLs become Relay:Credentials. The file holds keys:
delete it once the relay is installed.

.PARAMETER RelayCredentials
The same JSON as a SecureString, instead of -RelayCredentialsFile. Prompted for when neither is given; paste the
answer on one line, as the API sends it.

.PARAMETER ServiceBusConnectionString
Service Bus sites only (the credentials say "transport": "service-bus"): the connection string of the site's SAS rule
relay-<site> (Listen on queue ldfleet-site-<site> only), from
az servicebus queue authorization-rule keys list --queue-name ldfleet-site-<site> --name relay-<site>.
Prompted for when the credentials are for Service Bus and it is not given; refused for Storage Queues sites.

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
.\Install-LdFleetRelay.ps1 -SiteId lab -BinaryPath .\LdFleet.Relay.exe -RelayCredentialsFile .\lab-credentials.json

Storage Queues: installs with the credentials saved from POST /api/sites/lab/relay-credentials, finds LDPlayer,
and registers the logon task for the console user.

.EXAMPLE
.\Install-LdFleetRelay.ps1 -SiteId lab -BinaryPath .\LdFleet.Relay.exe -RelayCredentialsFile .\lab-credentials.json -ServiceBusConnectionString (Read-Host -AsSecureString)

Service Bus: the same credentials (they give the results queue) and the connection string of rule relay-lab.

.EXAMPLE
.\Install-LdFleetRelay.ps1 -SiteId lab -BinaryPath .\LdFleet.Relay.exe

Prompts for the relay credentials (and, on Service Bus, the connection string) without writing them to a file.

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

    [ValidateScript({ Test-Path -LiteralPath $_ -PathType Leaf })]
    [string] $RelayCredentialsFile,

    [securestring] $RelayCredentials,

    [securestring] $ServiceBusConnectionString,

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

function Get-JsonProperty($Object, [string] $Name) {
    # Strict mode throws on a missing property; a missing one is an input error to explain, not a crash.
    if ($null -eq $Object) { return $null }
    $property = $Object.PSObject.Properties[$Name]
    if ($property) { return $property.Value }
    return $null
}

function Get-RelayQueueCredentials($Answer, [string] $SiteId) {
    # Takes what ConvertFrom-Json made of the API's answer - the whole answer of POST /api/sites, or the answer of
    # POST /api/sites/{id}/relay-credentials, which is the relayCredentials object itself - and returns what the relay
    # binds as Relay:Credentials (its queues: role -> queue, permissions, SAS URL) with the transport they were issued
    # for. Checked here as the relay checks them at start-up (relay-agent/Hosting/RelayCredentials.cs), so a paste for
    # another site or a truncated one fails before anything is installed. Messages name fields, never a URL (a SAS).
    $site = Get-JsonProperty (Get-JsonProperty $Answer 'site') 'id'
    if ($site -and $site -ne $SiteId) {
        throw "These relay credentials were issued when site '$site' was registered, not site '$SiteId'."
    }
    $credentials = Get-JsonProperty $Answer 'relayCredentials'
    if ($null -eq $credentials) { $credentials = $Answer }
    if ($null -eq $credentials -or $null -eq $credentials.PSObject.Properties['queues']) {
        throw ('This is not the API''s relay credentials: expected the JSON answer of POST /api/sites or ' +
            "POST /api/sites/$SiteId/relay-credentials (or its relayCredentials object), with a 'queues' object.")
    }
    $transport = Get-JsonProperty $credentials 'transport'
    $queues = Get-JsonProperty $credentials 'queues'
    if ($null -eq $queues) {
        # The API provisions nothing when it reaches storage without an account key; it says what to set up instead.
        $instructions = Get-JsonProperty $credentials 'instructions'
        throw "The API issued no queue credentials for site ${SiteId}: $instructions"
    }
    if ($transport -notin 'storage-queues', 'service-bus') {
        throw "The relay credentials name transport '$transport'; this installer knows 'storage-queues' and 'service-bus'."
    }

    $commands = "ldfleet-site-$SiteId"
    $expected = [ordered]@{ commands = $commands; commandsPoison = "$commands-poison"; results = 'ldfleet-results' }
    $required = @(if ($transport -eq 'storage-queues') { 'commands', 'commandsPoison', 'results' } else { 'results' })
    $issued = [ordered]@{}
    foreach ($property in $queues.PSObject.Properties) {
        $role = $property.Name
        $queue = Get-JsonProperty $property.Value 'queue'
        $url = Get-JsonProperty $property.Value 'url'
        $parsed = $null
        if (-not $queue) { throw "Relay credentials: queues.$role has no queue name." }
        if (-not [Uri]::TryCreate([string] $url, [UriKind]::Absolute, [ref] $parsed) -or $parsed.Scheme -notin 'https', 'http' -or
            $parsed.Query -notmatch '(^\?|&)sig=') {
            throw "Relay credentials: queues.$role.url is not a queue URL with a SAS; paste the API's answer unchanged."
        }
        if ([Uri]::UnescapeDataString($parsed.Segments[-1].TrimEnd('/')) -ne $queue) {
            throw "Relay credentials: queues.$role.url is not the URL of queue '$queue'; paste the API's answer unchanged."
        }
        $known = @($expected.Keys | Where-Object { $_ -eq $role })
        if ($known.Count -gt 0 -and $queue -cne $expected[$known[0]]) {
            throw "Relay credentials: queues.$role is for queue '$queue', but site $SiteId uses '$($expected[$known[0]])': they were issued for another site."
        }
        # The URL as issued, not re-encoded: its signature covers the exact query.
        $issued[$role] = [ordered]@{ Queue = [string] $queue; Permissions = [string] (Get-JsonProperty $property.Value 'permissions'); Url = [string] $url }
    }
    $missing = @($required | Where-Object { -not $issued.Contains($_) })
    if ($missing.Count -gt 0) {
        throw "Relay credentials for $transport must have queues $($required -join ', '); missing: $($missing -join ', ')."
    }

    $expiresAt = Get-JsonProperty $credentials 'expiresAt'
    if ($expiresAt -is [datetime]) { $expiresAt = [DateTimeOffset] $expiresAt }
    elseif ($expiresAt) {
        # Windows PowerShell's ConvertFrom-Json leaves ISO dates as strings; PowerShell 7 makes them DateTime.
        $parsedExpiry = [DateTimeOffset]::MinValue
        if (-not [DateTimeOffset]::TryParse([string] $expiresAt, [Globalization.CultureInfo]::InvariantCulture,
                [Globalization.DateTimeStyles]::AssumeUniversal, [ref] $parsedExpiry)) {
            throw "Relay credentials: expiresAt '$expiresAt' is not a date."
        }
        $expiresAt = $parsedExpiry
    }
    if ($expiresAt -and $expiresAt -le [DateTimeOffset]::UtcNow) {
        throw "These relay credentials expired on $($expiresAt.ToString('u')); issue new ones with POST /api/sites/$SiteId/relay-credentials."
    }
    return [pscustomobject]@{ Transport = $transport; ExpiresAt = $expiresAt; Queues = $issued }
}

function Test-ServiceBusConnectionString([string] $ConnectionString, [string] $SiteId) {
    # Returns why the string is not the site's Listen rule on its command queue, or nothing when it is. Read as the
    # relay reads it (protocol/Transport/ServiceBus/ServiceBusConnection.cs): ';'-separated pairs, names in any case.
    $values = @{}
    foreach ($part in $ConnectionString -split ';') {
        $pair = $part -split '=', 2
        if ($pair.Count -eq 2) { $values[$pair[0].Trim()] = $pair[1].Trim() }
    }
    $endpoint = $null
    if (-not $values['Endpoint'] -or -not [Uri]::TryCreate($values['Endpoint'], [UriKind]::Absolute, [ref] $endpoint) -or $endpoint.Scheme -ne 'sb') {
        return 'it has no Endpoint=sb://<namespace>.servicebus.windows.net/'
    }
    if ($values['SharedAccessKeyName'] -ne "relay-$SiteId") {
        # Anything else (RootManageSharedAccessKey above all) would give the PC more than its own command queue.
        return "its SharedAccessKeyName is '$($values['SharedAccessKeyName'])', not the site's rule relay-$SiteId"
    }
    if (-not $values['SharedAccessKey']) { return 'it has no SharedAccessKey' }
    if ($values['EntityPath'] -and $values['EntityPath'] -ne "ldfleet-site-$SiteId") {
        return "its EntityPath is '$($values['EntityPath'])', not the site's command queue ldfleet-site-$SiteId"
    }
    return $null
}

function New-RelaySettings([string] $SiteId, [string] $JournalPath, [object[]] $Hosts, [System.Collections.IDictionary] $Queues, [string] $ServiceBusConnectionString) {
    # Exactly the keys the relay binds (Relay:*, RelayOptions; Transport:*, TransportOptions); a test checks them.
    $settings = [ordered]@{
        Relay = [ordered]@{
            SiteId      = $SiteId
            JournalPath = $JournalPath
            Hosts       = $Hosts
            Credentials = [ordered]@{ Queues = $Queues }
        }
    }
    # Storage Queues: the issued URLs reach every queue; a Transport:ConnectionString would only add a credential.
    if ($ServiceBusConnectionString) { $settings['Transport'] = [ordered]@{ ConnectionString = $ServiceBusConnectionString } }
    return $settings
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
if ($RelayCredentialsFile -and $RelayCredentials) { throw 'Give -RelayCredentialsFile or -RelayCredentials, not both.' }
if ($RelayCredentialsFile) {
    # ReadAllText honours a BOM: Windows PowerShell's '>' saves UTF-16, curl -o saves UTF-8.
    $credentialsJson = [IO.File]::ReadAllText((Resolve-Path -LiteralPath $RelayCredentialsFile).Path)
}
else {
    if (-not $RelayCredentials) {
        $RelayCredentials = Read-Host -AsSecureString ("Relay credentials for site $SiteId (the JSON answer of POST /api/sites/$SiteId/relay-credentials " +
            'or of the registration, on one line)')
    }
    $credentialsJson = ConvertTo-PlainText $RelayCredentials
}
if ([string]::IsNullOrWhiteSpace($credentialsJson)) { throw 'The relay credentials are empty.' }
try { $answer = $credentialsJson | ConvertFrom-Json }
catch {
    # The parser's message may quote the input, which holds keys: not repeated here.
    throw ('The relay credentials are not valid JSON. Give the API''s answer as it came: saved to a file (-RelayCredentialsFile), ' +
        'or pasted on one line (a pasted multi-line JSON stops at its first line).')
}
$issued = Get-RelayQueueCredentials $answer $SiteId
$answer = $null
$credentialsJson = $null

$serviceBus = $null
if ($issued.Transport -eq 'service-bus') {
    # Service Bus carries the commands; the issued credentials give only the (Storage) results queue.
    if (-not $ServiceBusConnectionString) {
        $ServiceBusConnectionString = Read-Host -AsSecureString "Service Bus connection string for site $SiteId (rule relay-$SiteId on queue ldfleet-site-$SiteId)"
    }
    $serviceBus = ConvertTo-PlainText $ServiceBusConnectionString
    $problem = Test-ServiceBusConnectionString $serviceBus $SiteId
    if ($problem) {
        throw ("The Service Bus connection string is not site ${SiteId}'s: $problem. Use the rule's own string: " +
            "az servicebus queue authorization-rule keys list --queue-name ldfleet-site-$SiteId --name relay-$SiteId --query primaryConnectionString.")
    }
}
elseif ($ServiceBusConnectionString) {
    throw '-ServiceBusConnectionString is for Service Bus sites; these relay credentials are for Storage Queues, whose URLs are all the relay needs.'
}
$expiry = $issued.ExpiresAt

$settingsJson = New-RelaySettings -SiteId $SiteId -JournalPath (Join-Path $DataDirectory "relay-$SiteId.db") -Hosts $hosts `
    -Queues $issued.Queues -ServiceBusConnectionString $serviceBus | ConvertTo-Json -Depth 8
$issued = $null
$serviceBus = $null

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
    if ($expiry) {
        # The relay cannot renew them itself; past this date it is cut off from its queues.
        Write-Host "The relay credentials expire on $($expiry.ToString('u')): before then, issue new ones (POST /api/sites/$SiteId/relay-credentials) and run this script again."
    }
    if ($RelayCredentialsFile) { Write-Warning "$RelayCredentialsFile holds the relay's keys and is no longer needed: delete it." }
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
