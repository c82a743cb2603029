package demo

import "atlas/app/access"

// The demo's customers, people and policies, as data. Everything below is
// invented for the demo (the names are Microsoft's own sample companies).

// customer is one workspace and its environments.
type customer struct {
	slug, name, domain string
	platforms          []string // the platforms this customer manages (policy.platform)
	environments       []site
}

// site is one managed environment. compareStaleDays > 0 stops its drift
// compares that many days ago, so the dashboard's stale-compare warning shows.
type site struct {
	slug, name, kind string
	compareStaleDays int
}

var customers = []customer{
	{"contoso", "Contoso Ltd", "contoso", []string{windows, macOS, iOS, anyOS}, []site{
		{"prod", "Production", "production", 0},
		{"pilot", "Pilot", "pilot", 0},
		{"test", "Test", "test", 0},
	}},
	{"fabrikam", "Fabrikam Inc", "fabrikam", []string{windows, macOS, iOS, android, anyOS}, []site{
		{"prod", "Production", "production", 0},
		{"pilot", "Pilot", "pilot", 0},
		{"test", "Test", "test", 0},
		{"dev", "Development", "development", 0},
	}},
	{"northwind", "Northwind Traders", "northwind", []string{windows, anyOS}, []site{
		{"prod", "Production", "production", 0},
		{"test", "Test", "test", 12},
	}},
}

// person is a demo user other than the local owner; the command prints how
// each one signs in.
type person struct {
	email, name string
	memberships []membership
}

// membership is a workspace role, and for operators and readonly members the
// environments they are entitled to (DESIGN §4).
type membership struct {
	workspace    string
	role         access.Role
	environments []string
}

const emailDomain = "@atlas-demo.example"

var people = []person{
	{"priya.shah" + emailDomain, "Priya Shah", []membership{
		{"contoso", access.Manager, nil}, {"fabrikam", access.Manager, nil}, {"northwind", access.Manager, nil},
	}},
	{"tom.becker" + emailDomain, "Tom Becker", []membership{
		{"contoso", access.Operator, []string{"prod", "pilot"}}, {"fabrikam", access.Operator, []string{"test", "dev"}},
	}},
	{"lena.okafor" + emailDomain, "Lena Okafor", []membership{
		{"contoso", access.Readonly, []string{"prod"}}, {"northwind", access.Readonly, []string{"prod", "test"}},
	}},
}

// Platforms a policy applies to, matched against customer.platforms.
const (
	windows = "windows"
	macOS   = "macOS"
	iOS     = "iOS"
	android = "android"
	anyOS   = "all"
)

// Environment kinds a policy lives in (nil: every kind).
var (
	notTest  = []string{"production", "pilot", "development"}
	prodOnly = []string{"production"}
	early    = []string{"pilot", "test", "development"} // where a change lands before production
)

// syncs is how many inventory syncs each environment had over the 90 days;
// a policy's changes, additions and removals happen at one of them.
const syncs = 14

// policy is one configuration object in the customers' tenants: its first
// version (body), whom it is assigned to, and what changed later.
type policy struct {
	key      string // seeds the object's id in every tenant
	folder   string // IntuneManagement's type folder
	name     string
	platform string
	in       []string // environment kinds holding it; nil: every kind
	added    int      // the sync it first appears in
	removed  int      // the sync it is gone from; 0: never
	targets  []string // group names, "!group" to exclude, allDevices or allUsers
	body     body
	changes  []change
}

// change is one edit of a policy, seen from sync `at` on, in environments of
// the kinds `in` (nil: every one): pilot environments often get it first.
type change struct {
	at   int
	in   []string
	what string // what a person would say changed
	edit edit
}

// Assignment targets other than groups.
const (
	allDevices = "allDevices"
	allUsers   = "allUsers"
)

// Groups every tenant has (ids differ per tenant).
const (
	winDevices   = "SG-Intune-Windows-Corporate"
	kioskDevices = "SG-Intune-Windows-Kiosk"
	pilotDevices = "SG-Intune-Windows-Pilot"
	macDevices   = "SG-Intune-macOS-Corporate"
	mobileUsers  = "SG-Intune-Mobile-Users"
)

var groups = []string{winDevices, kioskDevices, pilotDevices, macDevices, mobileUsers}

// Setting definition ids used more than once below.
const (
	bitlocker      = "device_vendor_msft_bitlocker_"
	bitlockerXTS   = bitlocker + "encryptionmethodbydrivetype"
	bitlockerOS    = bitlockerXTS + "_encryptionmethodwithxtsosdropdown_name"
	defender       = "device_vendor_msft_policy_config_defender_"
	asr            = defender + "attacksurfacereductionrules"
	laps           = "device_vendor_msft_laps_policies_"
	hello          = "device_vendor_msft_passportforwork_{tenantid}_policies_"
	filevault      = "com.apple.mcx.filevault2_"
	softwareUpdate = "com.apple.softwareupdate_"
)

var policies = []policy{
	// Settings catalog: choice settings with children, simple values, lists and group collections.
	{key: "bitlocker", folder: "SettingsCatalog", name: "Win - BitLocker - OS disk encryption", platform: windows,
		targets: []string{winDevices, "!" + kioskDevices},
		body: catalog("windows10", "mdm", "Encrypts the OS and fixed drives; recovery keys escrowed to Entra ID.",
			choice(bitlocker+"requiredeviceencryption", "1"),
			choice(bitlockerXTS, "1",
				choice(bitlockerOS, "6"),
				choice(bitlockerXTS+"_encryptionmethodwithxtsfdvdropdown_name", "6"),
				choice(bitlockerXTS+"_encryptionmethodwithxtsrdvdropdown_name", "3")),
			choice(bitlocker+"allowwarningforotherdiskencryption", "0",
				choice(bitlocker+"allowwarningforotherdiskencryption_allowstandarduserencryption", "1")),
			choice(bitlocker+"systemdrivesrecoveryoptions", "1",
				choice(bitlocker+"systemdrivesrecoveryoptions_osactivedirectorybackup_name", "1"),
				choice(bitlocker+"systemdrivesrecoveryoptions_osrecoverypasswordusagedropdown_name", "2"))),
		changes: []change{
			{at: 3, what: "OS drive encryption method XTS-AES 128 → XTS-AES 256", edit: setChoice(bitlockerOS, "7")},
			{at: 6, what: "added: additional authentication at startup (TPM with PIN allowed)", edit: addSetting(
				choice(bitlocker+"systemdrivesrequirestartupauthentication", "1",
					choice(bitlocker+"systemdrivesrequirestartupauthentication_configuretpmpinkeyusagedropdown_name", "2"),
					choice(bitlocker+"systemdrivesrequirestartupauthentication_configurenontpmstartupkeyusage_name", "0")))},
			{at: 8, in: early, what: "assignment widened to all devices", edit: assignTo(allDevices)},
			{at: 11, in: prodOnly, what: "assignment widened to all devices", edit: assignTo(allDevices)},
		}},
	{key: "defender", folder: "SettingsCatalog", name: "Win - Defender Antivirus - Configuration", platform: windows,
		targets: []string{winDevices},
		body: catalog("windows10", "mdm,microsoftSense", "Real-time protection, cloud protection and scan limits.",
			choice(defender+"allowarchivescanning", "1"),
			choice(defender+"allowbehaviormonitoring", "1"),
			choice(defender+"allowcloudprotection", "1"),
			choice(defender+"allowrealtimemonitoring", "1"),
			choice(defender+"cloudblocklevel", "2"),
			simple(defender+"cloudextendedtimeout", 50),
			simple(defender+"avgcpuloadfactor", 50),
			simpleList(defender+"excludedextensions", ".log", ".tmp"),
			choice(defender+"puaprotection", "1")),
		changes: []change{
			{at: 4, what: "average CPU load factor 50 → 30", edit: setSimple(defender+"avgcpuloadfactor", 30)},
			{at: 9, what: "cloud block level High → High+", edit: setChoice(defender+"cloudblocklevel", "4")},
			{at: 12, what: "added: send safe samples automatically", edit: addSetting(choice(defender+"submitsamplesconsent", "1"))},
		}},
	{key: "asr", folder: "SettingsCatalog", name: "Win - Attack surface reduction rules", platform: windows,
		targets: []string{winDevices},
		body: catalog("windows10", "mdm,microsoftSense", "",
			groupList(asr, []obj{
				choice(asr+"_blockexecutablecontentfromemailclientandwebmail", "block"),
				choice(asr+"_blockofficecommunicationappfromcreatingchildprocesses", "audit"),
				choice(asr+"_blockcredentialstealingfromwindowslocalsecurityauthoritysubsystem", "block"),
				choice(asr+"_useadvancedprotectionagainstransomware", "audit"),
			})),
		changes: []change{
			{at: 5, in: early, what: "ransomware protection rule audit → block", edit: setChoice(asr+"_useadvancedprotectionagainstransomware", "block")},
			{at: 10, in: prodOnly, what: "ransomware protection rule audit → block", edit: setChoice(asr+"_useadvancedprotectionagainstransomware", "block")},
		}},
	{key: "laps", folder: "SettingsCatalog", name: "Win - LAPS - Local administrator password", platform: windows, added: 5,
		targets: []string{winDevices},
		body: catalog("windows10", "mdm", "Rotates the local administrator password and backs it up to Entra ID.",
			choice(laps+"backupdirectory", "1", simple(laps+"passwordagedays_aad", 30)),
			choice(laps+"passwordcomplexity", "4"),
			simple(laps+"passwordlength", 14),
			choice(laps+"postauthenticationactions", "3")),
		changes: []change{
			{at: 9, what: "password age 30 → 14 days", edit: setSimple(laps+"passwordagedays_aad", 14)},
		}},
	{key: "hello", folder: "SettingsCatalog", name: "Win - Windows Hello for Business", platform: windows, in: notTest,
		targets: []string{allUsers},
		body: catalog("windows10", "mdm", "",
			choice(hello+"usepassportforwork", "true",
				simple(hello+"pincomplexity_minimumpinlength", 6),
				choice(hello+"requiresecuritydevice", "true"))),
		changes: []change{
			{at: 7, what: "minimum PIN length 6 → 8", edit: setSimple(hello+"pincomplexity_minimumpinlength", 8)},
		}},
	{key: "filevault", folder: "SettingsCatalog", name: "macOS - FileVault", platform: macOS,
		targets: []string{macDevices},
		body: catalog("macOS", "mdm,appleRemoteManagement", "Enables FileVault at the next sign-in; the recovery key is escrowed to Intune.",
			choice(filevault+"enable", "0",
				choice(filevault+"defer", "true"),
				simple(filevault+"deferforceatuserloginmaxbypassattempts", 0)),
			choice(filevault+"showrecoverykey", "false")),
		changes: []change{
			{at: 6, what: "sign-in bypass attempts 0 → 1", edit: setSimple(filevault+"deferforceatuserloginmaxbypassattempts", 1)},
		}},
	{key: "macupdate", folder: "SettingsCatalog", name: "macOS - Software update", platform: macOS, in: notTest,
		targets: []string{macDevices},
		body: catalog("macOS", "mdm,appleRemoteManagement", "",
			choice(softwareUpdate+"automaticcheckenabled", "true"),
			choice(softwareUpdate+"automaticallyinstallmacosupdates", "true"),
			choice(softwareUpdate+"criticalupdateinstall", "true")),
		changes: []change{
			{at: 10, what: "added: block pre-release installs", edit: addSetting(choice(softwareUpdate+"allowprereleaseinstallation", "false"))},
		}},

	// Compliance.
	{key: "wincompliance", folder: "CompliancePolicies", name: "Win - Compliance - Corporate devices", platform: windows,
		targets: []string{allDevices},
		body: graph("windows10CompliancePolicy", obj{
			"description": "Corporate Windows devices: encryption, secure boot, Defender.", "passwordRequired": true,
			"passwordMinimumLength": 8, "passwordRequiredType": "alphanumeric", "bitLockerEnabled": true, "secureBootEnabled": true,
			"codeIntegrityEnabled": true, "tpmRequired": true, "osMinimumVersion": "10.0.19045", "osMaximumVersion": nil,
			"defenderEnabled": true, "rtpEnabled": true, "antivirusRequired": true, "antiSpywareRequired": true,
			"activeFirewallRequired": true, "deviceThreatProtectionEnabled": false,
			"scheduledActionsForRule": []any{obj{"ruleName": "PasswordRequired", "scheduledActionConfigurations": []any{
				obj{"actionType": "block", "gracePeriodHours": 0, "notificationTemplateId": "", "notificationMessageCCList": []any{}},
			}}},
		}),
		changes: []change{
			{at: 4, in: early, what: "minimum OS version 10.0.19045 → 10.0.22631 (Windows 11 23H2)", edit: set(obj{"osMinimumVersion": "10.0.22631"})},
			{at: 8, in: prodOnly, what: "minimum OS version 10.0.19045 → 10.0.22631 (Windows 11 23H2)", edit: set(obj{"osMinimumVersion": "10.0.22631"})},
		}},
	{key: "ioscompliance", folder: "CompliancePolicies", name: "iOS - Compliance - Corporate", platform: iOS,
		targets: []string{mobileUsers},
		body: graph("iosCompliancePolicy", obj{
			"description": "", "passcodeRequired": true, "passcodeMinimumLength": 6, "passcodeBlockSimple": true,
			"passcodeRequiredType": "numeric", "osMinimumVersion": "17.0", "securityBlockJailbrokenDevices": true,
			"deviceThreatProtectionEnabled": false, "managedEmailProfileRequired": false,
		}),
		changes: []change{
			{at: 7, what: "minimum iOS version 17.0 → 17.5", edit: set(obj{"osMinimumVersion": "17.5"})},
		}},
	{key: "maccompliance", folder: "CompliancePolicies", name: "macOS - Compliance - Corporate", platform: macOS,
		targets: []string{macDevices},
		body: graph("macOSCompliancePolicy", obj{
			"description": "", "passwordRequired": true, "passwordMinimumLength": 8, "systemIntegrityProtectionEnabled": true,
			"storageRequireEncryption": true, "firewallEnabled": true, "firewallEnableStealthMode": false, "osMinimumVersion": "14.0",
		}),
		changes: []change{
			{at: 9, what: "firewall stealth mode required", edit: set(obj{"firewallEnableStealthMode": true})},
		}},

	// Device configuration, OMA-URI custom profiles included.
	{key: "omauri", folder: "DeviceConfiguration", name: "Win - Custom - OMA-URI settings", platform: windows,
		targets: []string{winDevices},
		body: graph("windows10CustomConfiguration", obj{
			"description": "Settings the catalog does not offer yet.",
			"omaSettings": []any{
				omaSetting("Integer", "Turn off Copilot", "./User/Vendor/MSFT/Policy/Config/WindowsAI/TurnOffWindowsCopilot", 1),
				omaSetting("String", "Lock screen image", "./Vendor/MSFT/Personalization/LockScreenImageUrl", "https://intranet.example/brand/lock.jpg"),
				omaSetting("Boolean", "Hide the Widgets button", "./Device/Vendor/MSFT/Policy/Config/NewsAndInterests/AllowNewsAndInterests", false),
			},
		}),
		changes: []change{
			{at: 5, what: "added: Delivery Optimization download mode (LAN)", edit: appendTo("omaSettings",
				omaSetting("Integer", "Delivery Optimization download mode", "./Device/Vendor/MSFT/Policy/Config/DeliveryOptimization/DODownloadMode", 1))},
		}},
	{key: "winrestrictions", folder: "DeviceConfiguration", name: "Win - Device restrictions", platform: windows,
		targets: []string{winDevices},
		body: graph("windows10GeneralConfiguration", obj{
			"description": "", "cortanaBlocked": true, "cameraBlocked": false, "storageBlockRemovableStorage": false,
			"bluetoothBlocked": false, "lockScreenBlockToastNotifications": true, "passwordBlockSimple": true,
			"smartScreenEnableAppInstallControl": true, "defenderRequireRealTimeMonitoring": true,
		}),
		changes: []change{
			{at: 9, in: notTest, what: "removable storage blocked", edit: set(obj{"storageBlockRemovableStorage": true})},
		}},
	{key: "firewall", folder: "DeviceConfiguration", name: "Win - Endpoint protection - Firewall", platform: windows, in: notTest,
		targets: []string{winDevices},
		body: graph("windows10EndpointProtectionConfiguration", obj{
			"description": "", "firewallBlockStatefulFTP": true, "firewallIPSecExemptionsAllowICMP": false,
			"firewallProfileDomain":  obj{"firewallEnabled": "allowed", "inboundConnectionsBlocked": true, "stealthModeBlocked": false},
			"firewallProfilePrivate": obj{"firewallEnabled": "allowed", "inboundConnectionsBlocked": true, "stealthModeBlocked": false},
			"firewallProfilePublic":  obj{"firewallEnabled": "allowed", "inboundConnectionsBlocked": true, "stealthModeBlocked": true},
		}),
		changes: []change{
			{at: 7, what: "public profile: inbound notifications blocked", edit: func(s *state) {
				s.p["firewallProfilePublic"].(obj)["inboundNotificationsBlocked"] = true
			}},
		}},
	{key: "wifi", folder: "DeviceConfiguration", name: "Win - Wi-Fi - Guest", platform: windows, in: prodOnly,
		targets: []string{kioskDevices},
		body: graph("windowsWifiConfiguration", obj{
			"description": "Kiosks join the guest network.", "ssid": "Guest", "networkName": "Guest", "connectAutomatically": true,
			"connectWhenNetworkNameIsHidden": false, "wifiSecurityType": "wpa2Personal", "meteredConnectionLimit": "unrestricted",
			"preSharedKey": nil,
		}),
	},
	{key: "iosrestrictions", folder: "DeviceConfiguration", name: "iOS - Device restrictions", platform: iOS,
		targets: []string{mobileUsers},
		body: graph("iosGeneralDeviceConfiguration", obj{
			"description": "", "appStoreBlocked": false, "cameraBlocked": false, "screenCaptureBlocked": false,
			"iCloudBlockBackup": true, "airDropBlocked": false, "passcodeRequired": true,
		}),
		changes: []change{
			{at: 8, what: "AirDrop blocked", edit: set(obj{"airDropBlocked": true})},
		}},

	// Administrative templates (ADMX-backed).
	{key: "admxoffice", folder: "AdministrativeTemplates", name: "Win - ADMX - Office macro security", platform: windows, in: notTest,
		targets: []string{allUsers},
		body: graph("groupPolicyConfiguration", obj{
			"description": "Macros from the internet are blocked; trusted locations on the intranet only.",
			"definitionValues": []any{
				admxValue("b4f05d52-0e2a-4ac4-bc3a-8f2b4a3c1e01", true),
				admxValue("c0c8f7a1-6a55-4d7e-9b1c-2d9e5e0f3a02", true, admxText("2f1e0b6c-1d3a-4b59-8d2e-7c4f6a9b0e03", "https://intranet.example/templates")),
			},
		}),
		changes: []change{
			{at: 7, what: "added: block macros in Excel files from the internet", edit: appendTo("definitionValues",
				admxValue("d7a9e3b2-4c61-4f08-a5d3-9e1b7c2f4a04", true))},
		}},

	// Windows Update for Business.
	{key: "ringbroad", folder: "UpdatePolicies", name: "Win - Update ring - Broad", platform: windows, in: notTest,
		targets: []string{winDevices, "!" + pilotDevices},
		body: graph("windowsUpdateForBusinessConfiguration", obj{
			"description": "Everyone but the pilot ring.", "qualityUpdatesDeferralPeriodInDays": 7, "featureUpdatesDeferralPeriodInDays": 30,
			"deadlineForQualityUpdatesInDays": 3, "deadlineForFeatureUpdatesInDays": 7, "deadlineGracePeriodInDays": 2,
			"automaticUpdateMode": "autoInstallAtMaintenanceTime", "microsoftUpdateServiceAllowed": true, "driversExcluded": false,
			"businessReadyUpdatesOnly": "all", "userPauseAccess": "enabled", "allowWindows11Upgrade": true,
			"deliveryOptimizationMode": "userDefined", "qualityUpdatesPaused": false, "featureUpdatesPaused": false,
		}),
		changes: []change{
			{at: 5, what: "quality update deadline 3 → 2 days", edit: set(obj{"deadlineForQualityUpdatesInDays": 2})},
			{at: 12, what: "users may no longer pause updates", edit: set(obj{"userPauseAccess": "disabled"})},
		}},
	{key: "ringpilot", folder: "UpdatePolicies", name: "Win - Update ring - Pilot", platform: windows,
		targets: []string{pilotDevices},
		body: graph("windowsUpdateForBusinessConfiguration", obj{
			"description": "Updates on release day.", "qualityUpdatesDeferralPeriodInDays": 0, "featureUpdatesDeferralPeriodInDays": 0,
			"deadlineForQualityUpdatesInDays": 2, "deadlineForFeatureUpdatesInDays": 2, "deadlineGracePeriodInDays": 1,
			"automaticUpdateMode": "autoInstallAtMaintenanceTime", "microsoftUpdateServiceAllowed": true, "driversExcluded": false,
			"businessReadyUpdatesOnly": "all", "userPauseAccess": "disabled", "allowWindows11Upgrade": true,
			"deliveryOptimizationMode": "userDefined", "qualityUpdatesPaused": false, "featureUpdatesPaused": false,
		}),
	},
	{key: "featureupdate", folder: "FeatureUpdates", name: "Win - Feature update - Windows 11", platform: windows,
		targets: []string{winDevices},
		body: graph("windowsFeatureUpdateProfile", obj{
			"description": "", "featureUpdateVersion": "Windows 11, version 23H2", "installFeatureUpdatesOptional": false,
			"installLatestWindows10OnWindows11IneligibleDevice": true, "rolloutSettings": obj{"offerStartDateTimeInUTC": nil, "offerEndDateTimeInUTC": nil, "offerIntervalInDays": nil},
		}),
		changes: []change{
			{at: 8, what: "target version 23H2 → 24H2", edit: set(obj{"featureUpdateVersion": "Windows 11, version 24H2"})},
		}},

	// Scripts (base64 content, as Graph exports it).
	{key: "timezone", folder: "Scripts", name: "Win - Script - Set time zone", platform: windows,
		targets: []string{winDevices},
		body: graph("deviceManagementScript", obj{
			"description": "", "fileName": "Set-TimeZone.ps1", "runAsAccount": "system", "enforceSignatureCheck": false, "runAs32Bit": false,
			"scriptContent": script(
				"# Sets the time zone of the office the device belongs to",
				"$ErrorActionPreference = 'Stop'",
				"Set-TimeZone -Id 'W. Europe Standard Time'",
				"Write-Output \"Time zone: $((Get-TimeZone).Id)\""),
		}),
		changes: []change{
			{at: 6, what: "script: time zone W. Europe → GMT", edit: editScript("scriptContent", "W. Europe Standard Time", "GMT Standard Time")},
		}},
	{key: "debloat", folder: "Scripts", name: "Win - Script - Remove consumer apps", platform: windows, in: notTest,
		targets: []string{winDevices},
		body: graph("deviceManagementScript", obj{
			"description": "", "fileName": "Remove-ConsumerApps.ps1", "runAsAccount": "system", "enforceSignatureCheck": false, "runAs32Bit": false,
			"scriptContent": script(
				"$apps = @('Microsoft.BingNews', 'Microsoft.GetHelp', 'Microsoft.ZuneMusic')",
				"foreach ($app in $apps) {",
				"    Get-AppxProvisionedPackage -Online | Where-Object DisplayName -eq $app | Remove-AppxProvisionedPackage -Online",
				"}"),
		}),
		changes: []change{
			{at: 9, what: "script: Xbox apps added to the removal list", edit: editScript("scriptContent",
				"'Microsoft.ZuneMusic')", "'Microsoft.ZuneMusic', 'Microsoft.XboxApp', 'Microsoft.GamingApp')")},
		}},
	{key: "macname", folder: "MacScripts", name: "macOS - Script - Set computer name", platform: macOS,
		targets: []string{macDevices},
		body: graph("deviceShellScript", obj{
			"description": "", "fileName": "set-computer-name.sh", "runAsAccount": "system", "retryCount": 3,
			"blockExecutionNotifications": true, "executionFrequency": "P1D",
			"scriptContent": script(
				"#!/bin/zsh",
				"serial=$(ioreg -l | awk -F'\"' '/IOPlatformSerialNumber/ {print $4}')",
				"name=\"MAC-${serial}\"",
				"scutil --set ComputerName \"$name\" && scutil --set LocalHostName \"$name\""),
		}),
		changes: []change{
			{at: 7, what: "script: naming prefix MAC- → M-", edit: editScript("scriptContent", "name=\"MAC-${serial}\"", "name=\"M-${serial}\"")},
		}},
	{key: "teamscache", folder: "DeviceHealthScripts", name: "Win - Remediation - Clear Teams cache", platform: windows, in: notTest, added: 3,
		targets: []string{allUsers},
		body: graph("deviceHealthScript", obj{
			"description": "Clears the new Teams cache when it grows beyond 1 GB.", "publisher": "IT Operations", "runAsAccount": "user",
			"runAs32Bit": false, "enforceSignatureCheck": false,
			"detectionScriptContent": script(
				"$cache = \"$env:LOCALAPPDATA\\Packages\\MSTeams_8wekyb3d8bbwe\\LocalCache\"",
				"$size = (Get-ChildItem $cache -Recurse -ErrorAction SilentlyContinue | Measure-Object Length -Sum).Sum",
				"if ($size -gt 1GB) { exit 1 } else { exit 0 }"),
			"remediationScriptContent": script(
				"Get-Process ms-teams -ErrorAction SilentlyContinue | Stop-Process -Force",
				"Remove-Item \"$env:LOCALAPPDATA\\Packages\\MSTeams_8wekyb3d8bbwe\\LocalCache\\*\" -Recurse -Force"),
		}),
	},

	// App protection.
	{key: "iosmam", folder: "AppProtection", name: "iOS - App protection - Corporate data", platform: iOS,
		targets: []string{mobileUsers},
		body: graph("iosManagedAppProtection", obj{
			"description": "", "pinRequired": true, "minimumPinLength": 4, "dataBackupBlocked": true, "saveAsBlocked": true,
			"allowedInboundDataTransferSources": "managedApps", "allowedOutboundDataTransferDestinations": "managedApps",
			"allowedOutboundClipboardSharingLevel": "managedAppsWithPasteIn", "periodOfflineBeforeAccessCheck": "PT12H",
			"periodOnlineBeforeAccessCheck": "PT30M", "periodOfflineBeforeWipeIsEnforced": "P90D", "appDataEncryptionType": "whenDeviceLocked",
			"apps": []any{appID("ios", "com.microsoft.office.outlook"), appID("ios", "com.microsoft.skype.teams"), appID("ios", "com.microsoft.sharepoint")},
		}),
		changes: []change{
			{at: 5, what: "minimum PIN length 4 → 6", edit: set(obj{"minimumPinLength": 6})},
		}},
	{key: "androidmam", folder: "AppProtection", name: "Android - App protection - Corporate data", platform: android,
		targets: []string{mobileUsers},
		body: graph("androidManagedAppProtection", obj{
			"description": "", "pinRequired": true, "minimumPinLength": 6, "dataBackupBlocked": true, "saveAsBlocked": true,
			"screenCaptureBlocked": true, "allowedInboundDataTransferSources": "managedApps",
			"allowedOutboundDataTransferDestinations": "managedApps", "periodOfflineBeforeAccessCheck": "PT12H",
			"apps": []any{appID("android", "com.microsoft.office.outlook"), appID("android", "com.microsoft.teams")},
		}),
	},

	// Tenant objects: scope tags, a role, the enrollment status page.
	{key: "tag-emea", folder: "ScopeTags", name: "Helpdesk EMEA", platform: anyOS,
		body: graph("roleScopeTag", obj{"description": "Devices and policies the EMEA helpdesk manages", "isBuiltIn": false})},
	{key: "tag-amer", folder: "ScopeTags", name: "Helpdesk Americas", platform: anyOS, in: notTest,
		body: graph("roleScopeTag", obj{"description": "Devices the Americas helpdesk manages", "isBuiltIn": false}),
		changes: []change{
			{at: 10, what: "description edited", edit: set(obj{"description": "Devices and policies the Americas helpdesk manages"})},
		}},
	{key: "role-helpdesk", folder: "Roles", name: "Helpdesk operator", platform: anyOS, in: notTest,
		body: graph("deviceAndAppManagementRoleDefinition", obj{
			"description": "Reads devices and runs remote actions.", "isBuiltIn": false,
			"rolePermissions": []any{obj{"resourceActions": []any{obj{"allowedResourceActions": []any{
				"Microsoft.Intune_ManagedDevices_Read", "Microsoft.Intune_Organization_Read", "Microsoft.Intune_RemoteTasks_RebootNow",
			}, "notAllowedResourceActions": []any{}}}}},
		}),
		changes: []change{
			{at: 7, what: "permission added: sync devices", edit: func(s *state) {
				ra := s.p["rolePermissions"].([]any)[0].(obj)["resourceActions"].([]any)[0].(obj)
				ra["allowedResourceActions"] = append(ra["allowedResourceActions"].([]any), "Microsoft.Intune_RemoteTasks_SyncDevice")
			}},
		}},
	{key: "esp", folder: "EnrollmentStatusPage", name: "Autopilot - Enrollment status page", platform: windows,
		targets: []string{winDevices},
		body: graph("windows10EnrollmentCompletionPageConfiguration", obj{
			"description": "", "showInstallationProgress": true, "blockDeviceSetupRetryByUser": false,
			"allowDeviceResetOnInstallFailure": true, "allowLogCollectionOnInstallFailure": true,
			"customErrorMessage": "Setup could not finish. Please call the service desk.", "installProgressTimeoutInMinutes": 60,
			"allowDeviceUseOnInstallFailure": false, "trackInstallProgressForAutopilotOnly": true,
			"disableUserStatusTrackingAfterFirstUser": true, "priority": 1,
			"selectedMobileAppIds": []any{"0b5e3c8e-4a5e-4f0e-9a43-6c1f2b7d9e10", "5d2a7f1c-8e3b-4c6d-b9a0-1e4f7c2d8b21"},
		}),
		changes: []change{
			{at: 6, what: "install timeout 60 → 90 minutes", edit: set(obj{"installProgressTimeoutInMinutes": 90})},
		}},

	// Types whose restore is at risk: a legacy endpoint security intent (retired
	// during the 90 days) and a Win32 app.
	{key: "legacyav", folder: "EndpointSecurity", name: "Win - Antivirus (legacy template)", platform: windows, in: notTest, removed: 8,
		targets: []string{winDevices},
		body: graph("deviceManagementIntent", obj{
			"description": "Replaced by the settings catalog policy.", "isAssigned": true, "templateId": "804339ad-1553-4478-a742-138fb5807418",
			"settings": []any{
				obj{"@odata.type": graphType + "deviceManagementBooleanSettingInstance", "definitionId": "deviceConfiguration--defenderRequireRealTimeMonitoring", "valueJson": "true", "value": true},
				obj{"@odata.type": graphType + "deviceManagementIntegerSettingInstance", "definitionId": "deviceConfiguration--defenderScanMaxCpu", "valueJson": "50", "value": 50},
			},
		}),
	},
	{key: "7zip", folder: "Applications", name: "7-Zip (x64)", platform: windows,
		targets: []string{allDevices},
		body: graph("win32LobApp", obj{
			"description": "File archiver", "publisher": "Igor Pavlov", "displayVersion": "23.01", "fileName": "7z2301-x64.intunewin",
			"installCommandLine": "7z2301-x64.exe /S", "uninstallCommandLine": "\"%ProgramFiles%\\7-Zip\\Uninstall.exe\" /S",
			"installExperience":              obj{"runAsAccount": "system", "deviceRestartBehavior": "suppress"},
			"minimumSupportedWindowsRelease": "1607", "applicableArchitectures": "x64",
		}),
		changes: []change{
			{at: 9, what: "package 23.01 → 24.08", edit: set(obj{"displayVersion": "24.08", "fileName": "7z2408-x64.intunewin", "installCommandLine": "7z2408-x64.exe /S"})},
		}},
}
