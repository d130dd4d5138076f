package portico

import (
	"cmp"
	"slices"
)

// AuditAction is the id of an audited action, such as "device.move": the action field of an audit
// event. Ids are stable: clients, SIEM rules and stored logs match on them, so none is ever renamed.
// Every action the server writes is a constant below and an entry of AuditActions.
type AuditAction string

// AuditTarget is the kind of object an audit event names in its target_type.
type AuditTarget string

// Audit target kinds.
const (
	AuditTargetAccount         AuditTarget = "account"
	AuditTargetUser            AuditTarget = "user"
	AuditTargetUserGroup       AuditTarget = "user_group"
	AuditTargetRole            AuditTarget = "role"
	AuditTargetRoleAssignment  AuditTarget = "role_assignment"
	AuditTargetDeviceGroup     AuditTarget = "device_group"
	AuditTargetDevice          AuditTarget = "device"
	AuditTargetAssignmentRule  AuditTarget = "assignment_rule"
	AuditTargetAPIKey          AuditTarget = "api_key"
	AuditTargetEnrollmentToken AuditTarget = "enrollment_token"
	AuditTargetSession         AuditTarget = "session"
	AuditTargetMail            AuditTarget = "mail"
	AuditTargetOnDemand        AuditTarget = "on_demand_session"
)

// The audited actions, in id order. A read is audited only when it is refused; a change both when it
// is made and when it is refused.
const (
	ActionAccessExplain                 AuditAction = "access.explain"
	ActionAccessWhoCan                  AuditAction = "access.who_can"
	ActionAccountCreate                 AuditAction = "account.create"
	ActionAccountUpdate                 AuditAction = "account.update"
	ActionAccountView                   AuditAction = "account.view"
	ActionAPIKeyCreate                  AuditAction = "api_key.create"
	ActionAPIKeyList                    AuditAction = "api_key.list"
	ActionAPIKeyRevoke                  AuditAction = "api_key.revoke"
	ActionAssignmentRuleApply           AuditAction = "assignment_rule.apply"
	ActionAssignmentRuleCreate          AuditAction = "assignment_rule.create"
	ActionAssignmentRuleDelete          AuditAction = "assignment_rule.delete"
	ActionAssignmentRuleDryRun          AuditAction = "assignment_rule.dry_run"
	ActionAssignmentRuleList            AuditAction = "assignment_rule.list"
	ActionAssignmentRuleReorder         AuditAction = "assignment_rule.reorder"
	ActionAssignmentRuleUpdate          AuditAction = "assignment_rule.update"
	ActionAssignmentRuleView            AuditAction = "assignment_rule.view"
	ActionAuditExport                   AuditAction = "audit.export"
	ActionAuditList                     AuditAction = "audit.list"
	ActionAuditVerify                   AuditAction = "audit.verify"
	ActionBrandingLogoDelete            AuditAction = "branding.logo_delete"
	ActionBrandingLogoUpdate            AuditAction = "branding.logo_update"
	ActionDeviceDelete                  AuditAction = "device.delete"
	ActionDeviceDirectoryGroups         AuditAction = "device.directory_groups"
	ActionDeviceEnroll                  AuditAction = "device.enroll"
	ActionDeviceFavourite               AuditAction = "device.favourite"
	ActionDeviceHistory                 AuditAction = "device.history"
	ActionDeviceInventory               AuditAction = "device.inventory"
	ActionDeviceList                    AuditAction = "device.list"
	ActionDeviceMove                    AuditAction = "device.move"
	ActionDeviceUnfavourite             AuditAction = "device.unfavourite"
	ActionDeviceUpdate                  AuditAction = "device.update"
	ActionDeviceView                    AuditAction = "device.view"
	ActionDeviceGroupCreate             AuditAction = "device_group.create"
	ActionDeviceGroupDelete             AuditAction = "device_group.delete"
	ActionDeviceGroupMove               AuditAction = "device_group.move"
	ActionDeviceGroupSettingsDisableAll AuditAction = "device_group.settings.disable_all"
	ActionDeviceGroupSettingsEnableAll  AuditAction = "device_group.settings.enable_all"
	ActionDeviceGroupSettingsUpdate     AuditAction = "device_group.settings.update"
	ActionDeviceGroupSettingsView       AuditAction = "device_group.settings.view"
	ActionDeviceGroupUpdate             AuditAction = "device_group.update"
	ActionDeviceGroupView               AuditAction = "device_group.view"
	ActionDirectoryConfigure            AuditAction = "directory.configure"
	ActionDirectoryImport               AuditAction = "directory.import"
	ActionDirectoryImportGroups         AuditAction = "directory.import_groups"
	ActionDirectoryImportMemberships    AuditAction = "directory.import_memberships"
	ActionDirectoryImportUsers          AuditAction = "directory.import_users"
	ActionDirectoryJobList              AuditAction = "directory.job.list"
	ActionDirectoryJobView              AuditAction = "directory.job.view"
	ActionDirectoryPreview              AuditAction = "directory.preview"
	ActionDirectoryView                 AuditAction = "directory.view"
	ActionEnrollmentTokenCreate         AuditAction = "enrollment_token.create"
	ActionEnrollmentTokenRevoke         AuditAction = "enrollment_token.revoke"
	ActionIPAllowlistRefuse             AuditAction = "ip_allowlist.refuse"
	ActionIPAllowlistUpdate             AuditAction = "ip_allowlist.update"
	ActionIPAllowlistView               AuditAction = "ip_allowlist.view"
	ActionLegalAccept                   AuditAction = "legal.accept"
	ActionLegalUpdate                   AuditAction = "legal.update"
	ActionLicencesView                  AuditAction = "licences.view"
	ActionMailAbandoned                 AuditAction = "mail.abandoned"
	ActionMailFailed                    AuditAction = "mail.failed"
	ActionOnDemandCreate                AuditAction = "on_demand.create"
	ActionOnDemandEnd                   AuditAction = "on_demand.end"
	ActionOnDemandExpire                AuditAction = "on_demand.expire"
	ActionOnDemandList                  AuditAction = "on_demand.list"
	ActionOnDemandRedeem                AuditAction = "on_demand.redeem"
	ActionOnDemandSettingsUpdate        AuditAction = "on_demand.settings_update"
	ActionOnDemandSettingsView          AuditAction = "on_demand.settings_view"
	ActionOnDemandView                  AuditAction = "on_demand.view"
	ActionPasswordPolicyUpdate          AuditAction = "password_policy.update"
	ActionPasswordPolicyView            AuditAction = "password_policy.view"
	ActionRoleClone                     AuditAction = "role.clone"
	ActionRoleCreate                    AuditAction = "role.create"
	ActionRoleDelete                    AuditAction = "role.delete"
	ActionRoleDependents                AuditAction = "role.dependents"
	ActionRoleList                      AuditAction = "role.list"
	ActionRoleUpdate                    AuditAction = "role.update"
	ActionRoleView                      AuditAction = "role.view"
	ActionRoleAssignmentCreate          AuditAction = "role_assignment.create"
	ActionRoleAssignmentDelete          AuditAction = "role_assignment.delete"
	ActionSessionCreate                 AuditAction = "session.create"
	ActionSessionEnd                    AuditAction = "session.end"
	ActionSessionNarrow                 AuditAction = "session.narrow"
	ActionSessionStart                  AuditAction = "session.start"
	ActionSessionView                   AuditAction = "session.view"
	ActionSSOUpdate                     AuditAction = "sso.update"
	ActionSSOView                       AuditAction = "sso.view"
	ActionUser2FADisable                AuditAction = "user.2fa_disable"
	ActionUser2FAEnable                 AuditAction = "user.2fa_enable"
	ActionUser2FARecoveryCodes          AuditAction = "user.2fa_recovery_codes"
	ActionUser2FAReset                  AuditAction = "user.2fa_reset"
	ActionUser2FAStart                  AuditAction = "user.2fa_start"
	ActionUserActivate                  AuditAction = "user.activate"
	ActionUserCreate                    AuditAction = "user.create"
	ActionUserDelete                    AuditAction = "user.delete"
	ActionUserDisable                   AuditAction = "user.disable"
	ActionUserEnable                    AuditAction = "user.enable"
	ActionUserInvitationResend          AuditAction = "user.invitation.resend"
	ActionUserInvitationRevoke          AuditAction = "user.invitation.revoke"
	ActionUserInvitationView            AuditAction = "user.invitation.view"
	ActionUserInvite                    AuditAction = "user.invite"
	ActionUserList                      AuditAction = "user.list"
	ActionUserUpdate                    AuditAction = "user.update"
	ActionUserView                      AuditAction = "user.view"
	ActionUserGroupCreate               AuditAction = "user_group.create"
	ActionUserGroupDelete               AuditAction = "user_group.delete"
	ActionUserGroupList                 AuditAction = "user_group.list"
	ActionUserGroupUpdate               AuditAction = "user_group.update"
	ActionUserGroupView                 AuditAction = "user_group.view"
	ActionWrite                         AuditAction = "write"
)

// AuditTitles is an action's short title in each language the portal speaks. EnUS is empty where
// American English writes it as British English does.
type AuditTitles struct {
	EnGB, EnUS, De, Es, Fr, It string
}

// AuditActionInfo is one entry of the catalogue of audited actions.
type AuditActionInfo struct {
	ID AuditAction
	// Target is the kind of object the action's events name when it succeeds. A refusal by the
	// authorization engine names what the check was made on instead: the account for an account-wide
	// permission, else the device or device group.
	Target AuditTarget
	Title  AuditTitles
}

// TitleIn returns the title in the language tagged lang (en-GB, en-US, de, es, fr or it), and in
// English (UK) for any other.
func (i AuditActionInfo) TitleIn(lang string) string {
	t := i.Title
	switch lang {
	case "en-US":
		if t.EnUS != "" {
			return t.EnUS
		}
	case "de":
		return t.De
	case "es":
		return t.Es
	case "fr":
		return t.Fr
	case "it":
		return t.It
	}
	return t.EnGB
}

var auditActions = []AuditActionInfo{
	{ActionAccessExplain, AuditTargetDevice, AuditTitles{"Access explained", "", "Zugriff erklärt", "Acceso explicado", "Accès expliqué", "Accesso spiegato"}},
	{ActionAccessWhoCan, AuditTargetDevice, AuditTitles{"People with access listed", "", "Berechtigte aufgelistet", "Personas con acceso listadas", "Personnes ayant accès listées", "Persone con accesso elencate"}},
	{ActionAccountCreate, AuditTargetAccount, AuditTitles{"Account created", "", "Konto erstellt", "Cuenta creada", "Compte créé", "Account creato"}},
	{ActionAccountUpdate, AuditTargetAccount, AuditTitles{"Account updated", "", "Konto geändert", "Cuenta modificada", "Compte modifié", "Account modificato"}},
	{ActionAccountView, AuditTargetAccount, AuditTitles{"Account viewed", "", "Konto angezeigt", "Cuenta consultada", "Compte consulté", "Account visualizzato"}},
	{ActionAPIKeyCreate, AuditTargetAPIKey, AuditTitles{"API key created", "", "API-Schlüssel erstellt", "Clave de API creada", "Clé d’API créée", "Chiave API creata"}},
	{ActionAPIKeyList, AuditTargetAccount, AuditTitles{"API keys listed", "", "API-Schlüssel aufgelistet", "Claves de API listadas", "Clés d’API listées", "Chiavi API elencate"}},
	{ActionAPIKeyRevoke, AuditTargetAPIKey, AuditTitles{"API key revoked", "", "API-Schlüssel widerrufen", "Clave de API revocada", "Clé d’API révoquée", "Chiave API revocata"}},
	{ActionAssignmentRuleApply, AuditTargetAccount, AuditTitles{"Assignment rules applied", "", "Zuweisungsregeln angewendet", "Reglas de asignación aplicadas", "Règles d’affectation appliquées", "Regole di assegnazione applicate"}},
	{ActionAssignmentRuleCreate, AuditTargetAssignmentRule, AuditTitles{"Assignment rule created", "", "Zuweisungsregel erstellt", "Regla de asignación creada", "Règle d’affectation créée", "Regola di assegnazione creata"}},
	{ActionAssignmentRuleDelete, AuditTargetAssignmentRule, AuditTitles{"Assignment rule deleted", "", "Zuweisungsregel gelöscht", "Regla de asignación eliminada", "Règle d’affectation supprimée", "Regola di assegnazione eliminata"}},
	{ActionAssignmentRuleDryRun, AuditTargetAccount, AuditTitles{"Assignment rule dry run", "", "Probelauf einer Zuweisungsregel", "Simulación de una regla de asignación", "Simulation d’une règle d’affectation", "Prova di una regola di assegnazione"}},
	{ActionAssignmentRuleList, AuditTargetAccount, AuditTitles{"Assignment rules listed", "", "Zuweisungsregeln aufgelistet", "Reglas de asignación listadas", "Règles d’affectation listées", "Regole di assegnazione elencate"}},
	{ActionAssignmentRuleReorder, AuditTargetAccount, AuditTitles{"Assignment rules reordered", "", "Zuweisungsregeln neu geordnet", "Reglas de asignación reordenadas", "Règles d’affectation réordonnées", "Regole di assegnazione riordinate"}},
	{ActionAssignmentRuleUpdate, AuditTargetAssignmentRule, AuditTitles{"Assignment rule updated", "", "Zuweisungsregel geändert", "Regla de asignación modificada", "Règle d’affectation modifiée", "Regola di assegnazione modificata"}},
	{ActionAssignmentRuleView, AuditTargetAccount, AuditTitles{"Assignment rule viewed", "", "Zuweisungsregel angezeigt", "Regla de asignación consultada", "Règle d’affectation consultée", "Regola di assegnazione visualizzata"}},
	{ActionAuditExport, AuditTargetAccount, AuditTitles{"Audit log exported", "", "Protokoll exportiert", "Registro de auditoría exportado", "Journal d’audit exporté", "Registro di controllo esportato"}},
	{ActionAuditList, AuditTargetAccount, AuditTitles{"Audit log viewed", "", "Protokoll angezeigt", "Registro de auditoría consultado", "Journal d’audit consulté", "Registro di controllo visualizzato"}},
	{ActionAuditVerify, AuditTargetAccount, AuditTitles{"Audit log verified", "", "Protokoll geprüft", "Registro de auditoría verificado", "Journal d’audit vérifié", "Registro di controllo verificato"}},
	{ActionBrandingLogoDelete, AuditTargetAccount, AuditTitles{"Logo removed", "", "Logo entfernt", "Logotipo eliminado", "Logo supprimé", "Logo rimosso"}},
	{ActionBrandingLogoUpdate, AuditTargetAccount, AuditTitles{"Logo changed", "", "Logo geändert", "Logotipo cambiado", "Logo modifié", "Logo modificato"}},
	{ActionDeviceDelete, AuditTargetDevice, AuditTitles{"Device deleted", "", "Gerät gelöscht", "Dispositivo eliminado", "Appareil supprimé", "Dispositivo eliminato"}},
	{ActionDeviceDirectoryGroups, AuditTargetDevice, AuditTitles{"Device’s directory groups updated", "", "Verzeichnisgruppen des Geräts aktualisiert", "Grupos de directorio del dispositivo actualizados", "Groupes d’annuaire de l’appareil mis à jour", "Gruppi di directory del dispositivo aggiornati"}},
	{ActionDeviceEnroll, AuditTargetDevice, AuditTitles{"Device enrolled", "", "Gerät registriert", "Dispositivo registrado", "Appareil enrôlé", "Dispositivo registrato"}},
	{ActionDeviceFavourite, AuditTargetDevice, AuditTitles{"Device added to favourites", "Device added to favorites", "Gerät zu Favoriten hinzugefügt", "Dispositivo añadido a favoritos", "Appareil ajouté aux favoris", "Dispositivo aggiunto ai preferiti"}},
	{ActionDeviceHistory, AuditTargetDevice, AuditTitles{"Device history viewed", "", "Geräteverlauf angezeigt", "Historial del dispositivo consultado", "Historique de l’appareil consulté", "Cronologia del dispositivo visualizzata"}},
	{ActionDeviceInventory, AuditTargetDevice, AuditTitles{"Device inventory viewed", "", "Geräteinventar angezeigt", "Inventario del dispositivo consultado", "Inventaire de l’appareil consulté", "Inventario del dispositivo visualizzato"}},
	{ActionDeviceList, AuditTargetAccount, AuditTitles{"Devices listed", "", "Geräte aufgelistet", "Dispositivos listados", "Appareils listés", "Dispositivi elencati"}},
	{ActionDeviceMove, AuditTargetDevice, AuditTitles{"Device moved", "", "Gerät verschoben", "Dispositivo movido", "Appareil déplacé", "Dispositivo spostato"}},
	{ActionDeviceUnfavourite, AuditTargetDevice, AuditTitles{"Device removed from favourites", "Device removed from favorites", "Gerät aus Favoriten entfernt", "Dispositivo quitado de favoritos", "Appareil retiré des favoris", "Dispositivo rimosso dai preferiti"}},
	{ActionDeviceUpdate, AuditTargetDevice, AuditTitles{"Device updated", "", "Gerät geändert", "Dispositivo modificado", "Appareil modifié", "Dispositivo modificato"}},
	{ActionDeviceView, AuditTargetDevice, AuditTitles{"Device viewed", "", "Gerät angezeigt", "Dispositivo consultado", "Appareil consulté", "Dispositivo visualizzato"}},
	{ActionDeviceGroupCreate, AuditTargetDeviceGroup, AuditTitles{"Device group created", "", "Gerätegruppe erstellt", "Grupo de dispositivos creado", "Groupe d’appareils créé", "Gruppo di dispositivi creato"}},
	{ActionDeviceGroupDelete, AuditTargetDeviceGroup, AuditTitles{"Device group deleted", "", "Gerätegruppe gelöscht", "Grupo de dispositivos eliminado", "Groupe d’appareils supprimé", "Gruppo di dispositivi eliminato"}},
	{ActionDeviceGroupMove, AuditTargetDeviceGroup, AuditTitles{"Device group moved", "", "Gerätegruppe verschoben", "Grupo de dispositivos movido", "Groupe d’appareils déplacé", "Gruppo di dispositivi spostato"}},
	{ActionDeviceGroupSettingsDisableAll, AuditTargetDeviceGroup, AuditTitles{"All group settings switched off", "", "Alle Gruppeneinstellungen deaktiviert", "Todos los ajustes del grupo desactivados", "Tous les paramètres du groupe désactivés", "Tutte le impostazioni del gruppo disattivate"}},
	{ActionDeviceGroupSettingsEnableAll, AuditTargetDeviceGroup, AuditTitles{"All group settings switched on", "", "Alle Gruppeneinstellungen aktiviert", "Todos los ajustes del grupo activados", "Tous les paramètres du groupe activés", "Tutte le impostazioni del gruppo attivate"}},
	{ActionDeviceGroupSettingsUpdate, AuditTargetDeviceGroup, AuditTitles{"Group settings changed", "", "Gruppeneinstellungen geändert", "Ajustes del grupo modificados", "Paramètres du groupe modifiés", "Impostazioni del gruppo modificate"}},
	{ActionDeviceGroupSettingsView, AuditTargetDeviceGroup, AuditTitles{"Group settings viewed", "", "Gruppeneinstellungen angezeigt", "Ajustes del grupo consultados", "Paramètres du groupe consultés", "Impostazioni del gruppo visualizzate"}},
	{ActionDeviceGroupUpdate, AuditTargetDeviceGroup, AuditTitles{"Device group updated", "", "Gerätegruppe geändert", "Grupo de dispositivos modificado", "Groupe d’appareils modifié", "Gruppo di dispositivi modificato"}},
	{ActionDeviceGroupView, AuditTargetDeviceGroup, AuditTitles{"Device group viewed", "", "Gerätegruppe angezeigt", "Grupo de dispositivos consultado", "Groupe d’appareils consulté", "Gruppo di dispositivi visualizzato"}},
	{ActionDirectoryConfigure, AuditTargetAccount, AuditTitles{"Directory configured", "", "Verzeichnis konfiguriert", "Directorio configurado", "Annuaire configuré", "Directory configurata"}},
	{ActionDirectoryImport, AuditTargetAccount, AuditTitles{"Directory imported", "", "Verzeichnis importiert", "Directorio importado", "Annuaire importé", "Directory importata"}},
	{ActionDirectoryImportGroups, AuditTargetAccount, AuditTitles{"Directory groups imported", "", "Verzeichnisgruppen importiert", "Grupos del directorio importados", "Groupes de l’annuaire importés", "Gruppi della directory importati"}},
	{ActionDirectoryImportMemberships, AuditTargetAccount, AuditTitles{"Directory memberships imported", "", "Verzeichnismitgliedschaften importiert", "Pertenencias del directorio importadas", "Appartenances de l’annuaire importées", "Appartenenze della directory importate"}},
	{ActionDirectoryImportUsers, AuditTargetAccount, AuditTitles{"Directory users imported", "", "Verzeichnisbenutzer importiert", "Usuarios del directorio importados", "Utilisateurs de l’annuaire importés", "Utenti della directory importati"}},
	{ActionDirectoryJobList, AuditTargetAccount, AuditTitles{"Directory imports listed", "", "Verzeichnisimporte aufgelistet", "Importaciones del directorio listadas", "Imports de l’annuaire listés", "Importazioni della directory elencate"}},
	{ActionDirectoryJobView, AuditTargetAccount, AuditTitles{"Directory import viewed", "", "Verzeichnisimport angezeigt", "Importación del directorio consultada", "Import de l’annuaire consulté", "Importazione della directory visualizzata"}},
	{ActionDirectoryPreview, AuditTargetAccount, AuditTitles{"Directory import previewed", "", "Vorschau des Verzeichnisimports", "Vista previa de la importación del directorio", "Aperçu de l’import de l’annuaire", "Anteprima dell’importazione della directory"}},
	{ActionDirectoryView, AuditTargetAccount, AuditTitles{"Directory settings viewed", "", "Verzeichniseinstellungen angezeigt", "Configuración del directorio consultada", "Paramètres de l’annuaire consultés", "Impostazioni della directory visualizzate"}},
	{ActionEnrollmentTokenCreate, AuditTargetEnrollmentToken, AuditTitles{"Enrollment token created", "", "Registrierungstoken erstellt", "Token de registro creado", "Jeton d’enrôlement créé", "Token di registrazione creato"}},
	{ActionEnrollmentTokenRevoke, AuditTargetEnrollmentToken, AuditTitles{"Enrollment token revoked", "", "Registrierungstoken widerrufen", "Token de registro revocado", "Jeton d’enrôlement révoqué", "Token di registrazione revocato"}},
	{ActionIPAllowlistRefuse, AuditTargetAccount, AuditTitles{"Address outside the IP allow list", "", "Adresse außerhalb der IP-Zulassungsliste", "Dirección fuera de la lista de IP permitidas", "Adresse hors de la liste des IP autorisées", "Indirizzo fuori dall’elenco degli IP consentiti"}},
	{ActionIPAllowlistUpdate, AuditTargetAccount, AuditTitles{"IP allow list changed", "", "IP-Zulassungsliste geändert", "Lista de IP permitidas modificada", "Liste des IP autorisées modifiée", "Elenco degli IP consentiti modificato"}},
	{ActionIPAllowlistView, AuditTargetAccount, AuditTitles{"IP allow list viewed", "", "IP-Zulassungsliste angezeigt", "Lista de IP permitidas consultada", "Liste des IP autorisées consultée", "Elenco degli IP consentiti visualizzato"}},
	{ActionLegalAccept, AuditTargetUser, AuditTitles{"Legal documents accepted", "", "Rechtliche Dokumente akzeptiert", "Documentos legales aceptados", "Documents juridiques acceptés", "Documenti legali accettati"}},
	{ActionLegalUpdate, AuditTargetAccount, AuditTitles{"Legal documents updated", "", "Rechtliche Dokumente aktualisiert", "Documentos legales actualizados", "Documents juridiques mis à jour", "Documenti legali aggiornati"}},
	{ActionLicencesView, AuditTargetAccount, AuditTitles{"Licences viewed", "Licenses viewed", "Lizenzen angezeigt", "Licencias consultadas", "Licences consultées", "Licenze visualizzate"}},
	{ActionMailAbandoned, AuditTargetMail, AuditTitles{"Email undeliverable", "", "E-Mail nicht zustellbar", "Correo electrónico no entregado", "E-mail non distribuable", "Email non recapitabile"}},
	{ActionMailFailed, AuditTargetUser, AuditTitles{"Email sending failed", "", "E-Mail-Versand fehlgeschlagen", "Error al enviar el correo electrónico", "Échec de l’envoi de l’e-mail", "Invio dell’email non riuscito"}},
	{ActionOnDemandCreate, AuditTargetOnDemand, AuditTitles{"On-demand session created", "", "On-Demand-Sitzung erstellt", "Sesión bajo demanda creada", "Session à la demande créée", "Sessione on-demand creata"}},
	{ActionOnDemandEnd, AuditTargetOnDemand, AuditTitles{"On-demand session ended", "", "On-Demand-Sitzung beendet", "Sesión bajo demanda finalizada", "Session à la demande terminée", "Sessione on-demand terminata"}},
	{ActionOnDemandExpire, AuditTargetOnDemand, AuditTitles{"On-demand code expired", "", "On-Demand-Code abgelaufen", "Código bajo demanda caducado", "Code à la demande expiré", "Codice on-demand scaduto"}},
	{ActionOnDemandList, AuditTargetAccount, AuditTitles{"On-demand sessions listed", "", "On-Demand-Sitzungen aufgelistet", "Sesiones bajo demanda listadas", "Sessions à la demande listées", "Sessioni on-demand elencate"}},
	{ActionOnDemandRedeem, AuditTargetOnDemand, AuditTitles{"On-demand code redeemed", "", "On-Demand-Code eingelöst", "Código bajo demanda canjeado", "Code à la demande utilisé", "Codice on-demand riscattato"}},
	{ActionOnDemandSettingsUpdate, AuditTargetAccount, AuditTitles{"On-demand settings changed", "", "On-Demand-Einstellungen geändert", "Ajustes bajo demanda modificados", "Paramètres à la demande modifiés", "Impostazioni on-demand modificate"}},
	{ActionOnDemandSettingsView, AuditTargetAccount, AuditTitles{"On-demand settings viewed", "", "On-Demand-Einstellungen angezeigt", "Ajustes bajo demanda consultados", "Paramètres à la demande consultés", "Impostazioni on-demand visualizzate"}},
	{ActionOnDemandView, AuditTargetOnDemand, AuditTitles{"On-demand session viewed", "", "On-Demand-Sitzung angezeigt", "Sesión bajo demanda consultada", "Session à la demande consultée", "Sessione on-demand visualizzata"}},
	{ActionPasswordPolicyUpdate, AuditTargetAccount, AuditTitles{"Password policy changed", "", "Passwortrichtlinie geändert", "Política de contraseñas modificada", "Politique de mots de passe modifiée", "Criteri delle password modificati"}},
	{ActionPasswordPolicyView, AuditTargetAccount, AuditTitles{"Password policy viewed", "", "Passwortrichtlinie angezeigt", "Política de contraseñas consultada", "Politique de mots de passe consultée", "Criteri delle password visualizzati"}},
	{ActionRoleClone, AuditTargetRole, AuditTitles{"Role cloned", "", "Rolle geklont", "Rol clonado", "Rôle dupliqué", "Ruolo clonato"}},
	{ActionRoleCreate, AuditTargetRole, AuditTitles{"Role created", "", "Rolle erstellt", "Rol creado", "Rôle créé", "Ruolo creato"}},
	{ActionRoleDelete, AuditTargetRole, AuditTitles{"Role deleted", "", "Rolle gelöscht", "Rol eliminado", "Rôle supprimé", "Ruolo eliminato"}},
	{ActionRoleDependents, AuditTargetAccount, AuditTitles{"Role’s assignments listed", "", "Zuweisungen der Rolle aufgelistet", "Asignaciones del rol listadas", "Attributions du rôle listées", "Assegnazioni del ruolo elencate"}},
	{ActionRoleList, AuditTargetAccount, AuditTitles{"Roles listed", "", "Rollen aufgelistet", "Roles listados", "Rôles listés", "Ruoli elencati"}},
	{ActionRoleUpdate, AuditTargetRole, AuditTitles{"Role updated", "", "Rolle geändert", "Rol modificado", "Rôle modifié", "Ruolo modificato"}},
	{ActionRoleView, AuditTargetAccount, AuditTitles{"Role viewed", "", "Rolle angezeigt", "Rol consultado", "Rôle consulté", "Ruolo visualizzato"}},
	{ActionRoleAssignmentCreate, AuditTargetRoleAssignment, AuditTitles{"Role assigned", "", "Rolle zugewiesen", "Rol asignado", "Rôle attribué", "Ruolo assegnato"}},
	{ActionRoleAssignmentDelete, AuditTargetRoleAssignment, AuditTitles{"Role assignment removed", "", "Rollenzuweisung entfernt", "Asignación de rol eliminada", "Attribution de rôle supprimée", "Assegnazione di ruolo rimossa"}},
	{ActionSessionCreate, AuditTargetUser, AuditTitles{"Sign-in", "", "Anmeldung", "Inicio de sesión", "Connexion", "Accesso"}},
	{ActionSessionEnd, AuditTargetSession, AuditTitles{"Remote session ended", "", "Fernsitzung beendet", "Sesión remota finalizada", "Session à distance terminée", "Sessione remota terminata"}},
	{ActionSessionNarrow, AuditTargetSession, AuditTitles{"Remote session narrowed", "", "Fernsitzung eingeschränkt", "Sesión remota restringida", "Session à distance restreinte", "Sessione remota limitata"}},
	{ActionSessionStart, AuditTargetSession, AuditTitles{"Remote session started", "", "Fernsitzung gestartet", "Sesión remota iniciada", "Session à distance ouverte", "Sessione remota avviata"}},
	{ActionSessionView, AuditTargetDevice, AuditTitles{"Remote session viewed", "", "Fernsitzung angezeigt", "Sesión remota consultada", "Session à distance consultée", "Sessione remota visualizzata"}},
	{ActionSSOUpdate, AuditTargetAccount, AuditTitles{"Single sign-on changed", "", "Single Sign-On geändert", "Inicio de sesión único modificado", "Authentification unique modifiée", "Single sign-on modificato"}},
	{ActionSSOView, AuditTargetAccount, AuditTitles{"Single sign-on viewed", "", "Single Sign-On angezeigt", "Inicio de sesión único consultado", "Authentification unique consultée", "Single sign-on visualizzato"}},
	{ActionUser2FADisable, AuditTargetUser, AuditTitles{"Two-factor authentication turned off", "", "Zwei-Faktor-Authentifizierung deaktiviert", "Autenticación en dos pasos desactivada", "Authentification à deux facteurs désactivée", "Autenticazione a due fattori disattivata"}},
	{ActionUser2FAEnable, AuditTargetUser, AuditTitles{"Two-factor authentication turned on", "", "Zwei-Faktor-Authentifizierung aktiviert", "Autenticación en dos pasos activada", "Authentification à deux facteurs activée", "Autenticazione a due fattori attivata"}},
	{ActionUser2FARecoveryCodes, AuditTargetUser, AuditTitles{"Recovery codes replaced", "", "Wiederherstellungscodes ersetzt", "Códigos de recuperación sustituidos", "Codes de récupération remplacés", "Codici di recupero sostituiti"}},
	{ActionUser2FAReset, AuditTargetUser, AuditTitles{"Two-factor authentication reset", "", "Zwei-Faktor-Authentifizierung zurückgesetzt", "Autenticación en dos pasos restablecida", "Authentification à deux facteurs réinitialisée", "Autenticazione a due fattori reimpostata"}},
	{ActionUser2FAStart, AuditTargetUser, AuditTitles{"Two-factor set-up started", "Two-factor setup started", "Einrichtung der Zwei-Faktor-Authentifizierung begonnen", "Configuración de la autenticación en dos pasos iniciada", "Configuration de l’authentification à deux facteurs commencée", "Configurazione dell’autenticazione a due fattori avviata"}},
	{ActionUserActivate, AuditTargetUser, AuditTitles{"User activated", "", "Benutzer aktiviert", "Usuario activado", "Utilisateur activé", "Utente attivato"}},
	{ActionUserCreate, AuditTargetUser, AuditTitles{"User created", "", "Benutzer erstellt", "Usuario creado", "Utilisateur créé", "Utente creato"}},
	{ActionUserDelete, AuditTargetUser, AuditTitles{"User deleted", "", "Benutzer gelöscht", "Usuario eliminado", "Utilisateur supprimé", "Utente eliminato"}},
	{ActionUserDisable, AuditTargetUser, AuditTitles{"User disabled", "", "Benutzer deaktiviert", "Usuario desactivado", "Utilisateur désactivé", "Utente disabilitato"}},
	{ActionUserEnable, AuditTargetUser, AuditTitles{"User enabled", "", "Benutzer reaktiviert", "Usuario reactivado", "Utilisateur réactivé", "Utente abilitato"}},
	{ActionUserInvitationResend, AuditTargetUser, AuditTitles{"Invitation resent", "", "Einladung erneut gesendet", "Invitación reenviada", "Invitation renvoyée", "Invito inviato di nuovo"}},
	{ActionUserInvitationRevoke, AuditTargetUser, AuditTitles{"Invitation revoked", "", "Einladung widerrufen", "Invitación revocada", "Invitation révoquée", "Invito revocato"}},
	{ActionUserInvitationView, AuditTargetAccount, AuditTitles{"Invitation viewed", "", "Einladung angezeigt", "Invitación consultada", "Invitation consultée", "Invito visualizzato"}},
	{ActionUserInvite, AuditTargetUser, AuditTitles{"User invited", "", "Benutzer eingeladen", "Usuario invitado", "Utilisateur invité", "Utente invitato"}},
	{ActionUserList, AuditTargetAccount, AuditTitles{"Users listed", "", "Benutzer aufgelistet", "Usuarios listados", "Utilisateurs listés", "Utenti elencati"}},
	{ActionUserUpdate, AuditTargetUser, AuditTitles{"User updated", "", "Benutzer geändert", "Usuario modificado", "Utilisateur modifié", "Utente modificato"}},
	{ActionUserView, AuditTargetAccount, AuditTitles{"User viewed", "", "Benutzer angezeigt", "Usuario consultado", "Utilisateur consulté", "Utente visualizzato"}},
	{ActionUserGroupCreate, AuditTargetUserGroup, AuditTitles{"User group created", "", "Benutzergruppe erstellt", "Grupo de usuarios creado", "Groupe d’utilisateurs créé", "Gruppo di utenti creato"}},
	{ActionUserGroupDelete, AuditTargetUserGroup, AuditTitles{"User group deleted", "", "Benutzergruppe gelöscht", "Grupo de usuarios eliminado", "Groupe d’utilisateurs supprimé", "Gruppo di utenti eliminato"}},
	{ActionUserGroupList, AuditTargetAccount, AuditTitles{"User groups listed", "", "Benutzergruppen aufgelistet", "Grupos de usuarios listados", "Groupes d’utilisateurs listés", "Gruppi di utenti elencati"}},
	{ActionUserGroupUpdate, AuditTargetUserGroup, AuditTitles{"User group updated", "", "Benutzergruppe geändert", "Grupo de usuarios modificado", "Groupe d’utilisateurs modifié", "Gruppo di utenti modificato"}},
	{ActionUserGroupView, AuditTargetAccount, AuditTitles{"User group viewed", "", "Benutzergruppe angezeigt", "Grupo de usuarios consultado", "Groupe d’utilisateurs consulté", "Gruppo di utenti visualizzato"}},
	{ActionWrite, AuditTargetAccount, AuditTitles{"Change (rights changed meanwhile)", "", "Änderung (Rechte inzwischen geändert)", "Cambio (permisos modificados entretanto)", "Modification (droits modifiés entre-temps)", "Modifica (diritti cambiati nel frattempo)"}},
}

// AuditActions returns the catalogue of audited actions, in id order.
func AuditActions() []AuditActionInfo { return slices.Clone(auditActions) }

// LookupAuditAction returns the catalogue's entry for id.
func LookupAuditAction(id AuditAction) (AuditActionInfo, bool) {
	i, found := slices.BinarySearchFunc(auditActions, id, func(e AuditActionInfo, id AuditAction) int {
		return cmp.Compare(e.ID, id)
	})
	if !found {
		return AuditActionInfo{}, false
	}
	return auditActions[i], true
}

// Title returns the action's title in the language tagged lang, or the id itself for an action the
// catalogue does not know (written by a test, or by another version of Portico).
func (a AuditAction) Title(lang string) string {
	if info, ok := LookupAuditAction(a); ok {
		return info.TitleIn(lang)
	}
	return string(a)
}
