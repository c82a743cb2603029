package intune

import (
	"path"
	"slices"
	"strings"
)

// Coverage says how completely an export lets Atlas restore a type (spec 058's
// coverage classes: the inventory hub counts them as chips, restorable/total is
// the coverage percentage).
type Coverage string

const (
	Restorable   Coverage = "restorable"
	Partial      Coverage = "partial"
	Risk         Coverage = "risk"
	Dependencies Coverage = "dependencies"
)

// Platforms an object applies to; "all" is tenant-wide or multi-platform.
const (
	Windows  = "windows"
	MacOS    = "macOS"
	IOS      = "iOS"
	Android  = "android"
	Linux    = "linux"
	AnyOS    = "all"
	noOSHint = ""
)

// TypeInfo describes one policy type: Key is the stable identifier stored in the
// database, Label is what people read, Platform the type's own platform ("" when
// each object says its own), Coverage and CoverageReason the spec 058 class.
type TypeInfo struct {
	Key            string
	Label          string
	Platform       string
	Coverage       Coverage
	CoverageReason string
}

// policyType is one row of the registry: a type and every name exports give it.
// graphTypes are @odata.type names without "#microsoft.graph."; the first is the
// type's canonical Graph type (used when a file has none). folders are type
// folders as the tools write them, nearest folder last ("Compliance
// Policies/Policies"; "*" stands for any one folder, such as the template
// folders of IntuneBackupAndRestore's "Device Management Intents/<template>");
// they match without regard to case and spaces.
type policyType struct {
	TypeInfo
	graphTypes []string
	folders    []string
}

// registry is the one table of policy types (issue 4: data, not scattered ifs).
// Folder names come from IntuneManagement (SettingsCatalog), IntuneCD (Settings
// Catalog, Compliance Policies/Policies), IntuneBackupAndRestore (Device
// Configurations, Administrative Templates) and Azure/securedworkstation
// (DeviceCompliance, DeviceConfigurationADMX).
var registry = []policyType{
	{TypeInfo{"settingsCatalog", "Settings catalog", noOSHint, Restorable, "every setting instance is exported"},
		[]string{"deviceManagementConfigurationPolicy"},
		[]string{"SettingsCatalog", "Settings Catalog", "ConfigurationPolicies", "Configuration Policies", "NativeImport"}},
	{TypeInfo{"compliancePolicy", "Compliance policy", noOSHint, Dependencies, "actions reference notification templates by id"},
		[]string{"windows10CompliancePolicy", "windows81CompliancePolicy", "windowsPhone81CompliancePolicy", "macOSCompliancePolicy",
			"iosCompliancePolicy", "androidCompliancePolicy", "androidWorkProfileCompliancePolicy", "androidDeviceOwnerCompliancePolicy",
			"androidForWorkCompliancePolicy", "aospDeviceOwnerCompliancePolicy", "windows10MobileCompliancePolicy",
			"defaultDeviceCompliancePolicy", "deviceManagementCompliancePolicy"},
		[]string{"CompliancePolicies", "Compliance Policies/Policies", "Device Compliance Policies", "DeviceCompliance", "CompliancePoliciesV2"}},
	{TypeInfo{"notificationTemplate", "Compliance notification template", AnyOS, Restorable, "subject and message of every locale are exported"},
		[]string{"notificationMessageTemplate"},
		[]string{"Compliance Policies/Message Templates", "Notifications", "Notification Templates"}},
	{TypeInfo{"complianceScript", "Compliance script", Windows, Restorable, "script content is exported"},
		[]string{"deviceComplianceScript"},
		[]string{"ComplianceScripts", "Compliance Policies/Scripts", "Compliance Scripts"}},
	{TypeInfo{"deviceConfiguration", "Device configuration", noOSHint, Partial, "some profile types hold secrets or certificate references that are not exported"},
		nil, // any *Configuration not claimed by a more specific row, see graphSuffixes
		[]string{"DeviceConfiguration", "Device Configurations", "Device Configuration"}},
	{TypeInfo{"adminTemplate", "Administrative template", Windows, Dependencies, "values reference ADMX definitions by id (definition@odata.bind)"},
		[]string{"groupPolicyConfiguration"},
		[]string{"AdministrativeTemplates", "Administrative Templates", "DeviceConfigurationADMX", "Group Policy Configurations"}},
	{TypeInfo{"updateRing", "Windows update ring", Windows, Restorable, "ring settings are exported in full"},
		[]string{"windowsUpdateForBusinessConfiguration"},
		[]string{"UpdatePolicies", "Update Policies", "Windows Update Rings"}},
	{TypeInfo{"featureUpdateProfile", "Windows feature update profile", Windows, Restorable, "profile settings are exported in full"},
		[]string{"windowsFeatureUpdateProfile"},
		[]string{"FeatureUpdates", "Feature Updates", "Windows Feature Updates", "Windows Feature Update Profiles"}},
	{TypeInfo{"qualityUpdateProfile", "Windows quality update profile", Windows, Restorable, "profile settings are exported in full"},
		[]string{"windowsQualityUpdateProfile", "windowsQualityUpdatePolicy"},
		[]string{"QualityUpdates", "Quality Updates", "Windows Quality Updates", "Windows Quality Update Profiles"}},
	{TypeInfo{"driverUpdateProfile", "Windows driver update profile", Windows, Partial, "driver approvals are tenant inventory and are not exported"},
		[]string{"windowsDriverUpdateProfile"},
		[]string{"DriverUpdateProfiles", "Driver Updates", "Windows Driver Updates", "Windows Driver Update Profiles"}},
	{TypeInfo{"appProtection", "App protection policy", noOSHint, Dependencies, "targets apps and groups by id"},
		[]string{"iosManagedAppProtection", "androidManagedAppProtection", "windowsManagedAppProtection",
			"mdmWindowsInformationProtectionPolicy", "windowsInformationProtectionPolicy", "targetedManagedAppProtection"},
		[]string{"AppProtection", "App Protection", "App Protection Policies"}},
	{TypeInfo{"appConfiguration", "App configuration policy", noOSHint, Dependencies, "targets apps by id"},
		[]string{"targetedManagedAppConfiguration", "iosMobileAppConfiguration", "androidManagedStoreAppConfiguration", "managedDeviceMobileAppConfiguration"},
		[]string{"AppConfigurationManagedApp", "AppConfigurationManagedDevice", "App Configuration", "App Configuration Policies",
			"Mobile App Configurations", "Targeted Managed App Configurations"}},
	{TypeInfo{"powershellScript", "PowerShell script", Windows, Restorable, "script content is exported (base64)"},
		[]string{"deviceManagementScript"},
		[]string{"Scripts", "Scripts/PowerShell", "Device Management Scripts", "PowerShellScripts"}},
	{TypeInfo{"shellScript", "Shell script", MacOS, Restorable, "script content is exported (base64)"},
		[]string{"deviceShellScript"},
		[]string{"Scripts/Shell", "MacScripts", "Shell Scripts"}},
	{TypeInfo{"remediation", "Remediation script", Windows, Restorable, "detection and remediation scripts are exported"},
		[]string{"deviceHealthScript"},
		[]string{"ProactiveRemediations", "Remediations", "Proactive Remediations", "Device Health Scripts", "DeviceHealthScripts"}},
	{TypeInfo{"customAttribute", "Custom attribute", MacOS, Restorable, "script content is exported (base64)"},
		[]string{"deviceCustomAttributeShellScript"},
		[]string{"Custom Attributes", "CustomAttributes", "MacCustomAttributes"}},
	{TypeInfo{"roleDefinition", "Intune role", AnyOS, Partial, "role assignments (members and scope groups) are not exported"},
		[]string{"deviceAndAppManagementRoleDefinition", "roleDefinition"},
		[]string{"Roles", "RoleDefinitions", "Role Definitions", "IntuneRoles"}},
	{TypeInfo{"scopeTag", "Scope tag", AnyOS, Restorable, "name and description are exported"},
		[]string{"roleScopeTag"},
		[]string{"Scope Tags", "ScopeTags", "Role Scope Tags"}},
	{TypeInfo{"enrollmentStatusPage", "Enrollment status page", Windows, Dependencies, "blocking apps are referenced by id"},
		[]string{"windows10EnrollmentCompletionPageConfiguration"},
		[]string{"Enrollment Profiles/Windows/ESP", "EnrollmentStatusPage"}},
	{TypeInfo{"enrollmentConfiguration", "Enrollment configuration", noOSHint, Partial, "the default configurations can be updated but not created"},
		[]string{"deviceEnrollmentLimitConfiguration", "deviceEnrollmentPlatformRestrictionsConfiguration",
			"deviceEnrollmentPlatformRestrictionConfiguration", "deviceEnrollmentWindowsHelloForBusinessConfiguration",
			"deviceComanagementAuthorityConfiguration", "windowsRestoreDeviceEnrollmentConfiguration",
			"deviceEnrollmentNotificationConfiguration", "deviceEnrollmentConfiguration"},
		[]string{"Enrollment Configurations", "EnrollmentRestrictions", "Device Enrollment Configurations", "CoManagementSettings"}},
	{TypeInfo{"autopilotProfile", "Autopilot deployment profile", Windows, Restorable, "profile settings are exported in full"},
		[]string{"azureADWindowsAutopilotDeploymentProfile", "activeDirectoryWindowsAutopilotDeploymentProfile", "windowsAutopilotDeploymentProfile"},
		[]string{"AutoPilot", "Autopilot", "Enrollment Profiles/Windows", "Windows Autopilot Deployment Profiles", "Autopilot Deployment Profiles"}},
	{TypeInfo{"assignmentFilter", "Assignment filter", noOSHint, Restorable, "the filter rule is exported in full"},
		[]string{"deviceAndAppManagementAssignmentFilter"},
		[]string{"AssignmentFilters", "Filters", "Assignment Filters"}},
	{TypeInfo{"deviceManagementSettings", "Tenant device management settings", AnyOS, Partial, "tenant-wide settings: a restore updates them, it cannot create them"},
		[]string{"deviceManagementSettings"},
		[]string{"Device Management Settings"}},
	{TypeInfo{"endpointSecurityIntent", "Endpoint security (legacy template)", Windows, Risk, "legacy template intents: Microsoft retires them, settings restore only onto the same template version"},
		[]string{"deviceManagementIntent"},
		[]string{"EndpointSecurity", "Device Management Intents", "Device Management Intents/*", "Management Intents"}},
	{TypeInfo{"conditionalAccess", "Conditional access policy", AnyOS, Dependencies, "references users, groups, apps and named locations by id"},
		[]string{"conditionalAccessPolicy"},
		[]string{"ConditionalAccess", "Conditional Access", "Conditional Access Policies"}},
	{TypeInfo{"namedLocation", "Named location", AnyOS, Restorable, "ranges and countries are exported in full"},
		[]string{"ipNamedLocation", "countryNamedLocation"},
		[]string{"NamedLocations", "Named Locations"}},
	{TypeInfo{"termsAndConditions", "Terms and conditions", AnyOS, Restorable, "text and acceptance statement are exported"},
		[]string{"termsAndConditions"},
		[]string{"TermsAndConditions", "Terms and Conditions", "Terms And Conditions"}},
	{TypeInfo{"policySet", "Policy set", AnyOS, Dependencies, "lists its member policies and apps by id"},
		[]string{"policySet"},
		[]string{"PolicySets", "Policy Sets"}},
	{TypeInfo{"brandingProfile", "Company Portal branding", AnyOS, Partial, "logo and background images are not exported"},
		[]string{"intuneBrandingProfile"},
		[]string{"IntuneBranding", "Intune Branding Profiles", "Branding"}},
	{TypeInfo{"app", "App", noOSHint, Risk, "app packages are not exported: only the app's metadata and assignments"},
		nil, // any *App not claimed above, see graphSuffixes
		[]string{"Applications", "Client Apps", "Apps"}},
}

// graphSuffixes claims Graph types by name ending when no row names them: Graph
// has hundreds of device configuration and app types.
var graphSuffixes = []struct{ suffix, key string }{
	{"CompliancePolicy", "compliancePolicy"},
	{"ManagedAppProtection", "appProtection"},
	{"EnrollmentConfiguration", "enrollmentConfiguration"},
	{"AutopilotDeploymentProfile", "autopilotProfile"},
	{"Configuration", "deviceConfiguration"},
	{"App", "app"},
}

// coverageByGraphType refines a type's coverage for Graph types (matched by
// name ending, case-insensitively, first match wins) that restore better or
// worse than their type as a whole: device configurations range from fully
// exported to holding secrets or certificate references.
var coverageByGraphType = []struct {
	suffix   string
	coverage Coverage
	reason   string
}{
	{"EnterpriseWiFiConfiguration", Dependencies, "references certificate profiles by id"},
	{"WiFiConfiguration", Partial, "the Wi-Fi pre-shared key is not exported"},
	{"VpnConfiguration", Dependencies, "references certificate profiles by id"},
	{"PkcsCertificateProfile", Dependencies, "references the trusted root certificate profile by id"},
	{"ScepCertificateProfile", Dependencies, "references the trusted root certificate profile by id"},
	{"windows10CustomConfiguration", Partial, "encrypted OMA-URI values are exported as placeholders"},
	{"macOSCustomConfiguration", Restorable, "the profile payload is exported (base64)"},
	{"iosCustomConfiguration", Restorable, "the profile payload is exported (base64)"},
	{"GeneralConfiguration", Restorable, "every setting is exported"},
	{"EndpointProtectionConfiguration", Restorable, "every setting is exported"},
	{"HealthMonitoringConfiguration", Restorable, "every setting is exported"},
	{"IdentityProtectionConfiguration", Restorable, "every setting is exported"},
}

// intuneCDTechnologies are the settings-catalog file-name suffixes IntuneCD
// writes (the policy's technologies) instead of a Graph type.
var intuneCDTechnologies = []string{"mdm", "appleRemoteManagement", "microsoftSense", "windows10XManagement",
	"linuxMdm", "enrollment", "endpointPrivilegeManagement", "configManager", "windowsOsRecovery", "android"}

// platformPrefixes derive a platform from a Graph type name or a settings
// catalog "platforms" value (first match wins, case-insensitive).
var platformPrefixes = []struct{ prefix, platform string }{
	{"windows", Windows}, {"sharedPC", Windows}, {"editionUpgrade", Windows}, {"win32", Windows},
	{"macOS", MacOS}, {"ios", IOS}, {"iPad", IOS}, {"android", Android}, {"aosp", Android}, {"linux", Linux},
}

// Other is the type of a configuration object no registry row recognises: it is
// kept and hashed, but nothing is promised about restoring it.
var Other = TypeInfo{"other", "Other", noOSHint, Risk, "type not recognised: kept as exported, restore is not checked"}

const graphPrefix = "#microsoft.graph."

var (
	byKey    = map[string]*policyType{}
	byGraph  = map[string]*policyType{}
	byFolder = map[string]*policyType{}
)

func init() {
	for i := range registry {
		t := &registry[i]
		byKey[t.Key] = t
		for _, g := range t.graphTypes {
			byGraph[strings.ToLower(g)] = t
		}
		for _, f := range t.folders {
			byFolder[foldName(f)] = t
		}
	}
}

// Types lists every known policy type, in the registry's order (for filters
// and chips); Other is last.
func Types() []TypeInfo {
	out := make([]TypeInfo, 0, len(registry)+1)
	for _, t := range registry {
		out = append(out, t.TypeInfo)
	}
	return append(out, Other)
}

// TypeByKey returns the type stored under key.
func TypeByKey(key string) (TypeInfo, bool) {
	if key == Other.Key {
		return Other, true
	}
	t, ok := byKey[key]
	if !ok {
		return TypeInfo{}, false
	}
	return t.TypeInfo, true
}

// typeByGraph finds the type of an @odata.type value such as
// "#microsoft.graph.windows10CompliancePolicy".
func typeByGraph(odataType string) (*policyType, bool) {
	name := strings.TrimPrefix(odataType, graphPrefix)
	if t, ok := byGraph[strings.ToLower(name)]; ok {
		return t, true
	}
	for _, s := range graphSuffixes {
		if len(name) > len(s.suffix) && strings.HasSuffix(name, s.suffix) {
			return byKey[s.key], true
		}
	}
	return nil, false
}

// refineCoverage applies coverageByGraphType to the type of one object.
func refineCoverage(info TypeInfo, odataType string) TypeInfo {
	name := strings.ToLower(strings.TrimPrefix(odataType, graphPrefix))
	for _, c := range coverageByGraphType {
		if name != "" && strings.HasSuffix(name, strings.ToLower(c.suffix)) {
			info.Coverage, info.CoverageReason = c.coverage, c.reason
			return info
		}
	}
	return info
}

// typeByFolder finds the type of a file from the folders above it: the nearest
// one, or the nearest two or three for nested IntuneCD folders such as
// "Compliance Policies/Policies" and "Enrollment Profiles/Windows/ESP", the
// nearest of them standing for any folder ("Device Management Intents/*").
func typeByFolder(dir string) (*policyType, bool) {
	parts := strings.Split(path.Clean(dir), "/")
	for n := min(3, len(parts)); n >= 1; n-- {
		outer := parts[len(parts)-n : len(parts)-1]
		for _, nearest := range []string{parts[len(parts)-1], "*"} {
			if t, ok := byFolder[foldName(strings.Join(append(slices.Clone(outer), nearest), "/"))]; ok {
				return t, true
			}
		}
	}
	return nil, false
}

// typeByFileSuffix reads IntuneCD's "<name>_<graph type or technology>.json".
func typeByFileSuffix(base string) (*policyType, string, bool) {
	stem := strings.TrimSuffix(base, path.Ext(base))
	i := strings.LastIndexByte(stem, '_')
	if i <= 0 {
		return nil, "", false
	}
	name, suffix := stem[:i], stem[i+1:]
	for _, tech := range intuneCDTechnologies {
		if strings.EqualFold(suffix, tech) {
			return byKey["settingsCatalog"], name, true
		}
	}
	if t, ok := byGraph[strings.ToLower(suffix)]; ok {
		return t, name, true
	}
	return nil, "", false
}

// platformOf maps a Graph type name or a settings-catalog platforms value
// ("windows10", "macOS", "iOS,android") to a platform; several platforms is "all".
func platformOf(s string) string {
	s = strings.TrimPrefix(s, graphPrefix)
	found := ""
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		for _, p := range platformPrefixes {
			if len(part) >= len(p.prefix) && strings.EqualFold(part[:len(p.prefix)], p.prefix) {
				if found != "" && found != p.platform {
					return AnyOS
				}
				found = p.platform
				break
			}
		}
	}
	return found
}

// foldName makes "Settings Catalog", "SettingsCatalog" and "settings_catalog"
// one name.
func foldName(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-':
			return -1
		}
		return r
	}, strings.ToLower(s))
}
