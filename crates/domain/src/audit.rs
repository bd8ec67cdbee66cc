//! The audit trail's vocabulary (Protokollierung): which kinds of object and which verbs an
//! audit event names, so that the store, the API and the data protection officer's queries spell
//! them one way. An event's action is `object.verb`, e.g. `case.read`, `referral.transfer`.
//!
//! Every read or write of personal data writes an event; reading a list writes one `list` event
//! per person shown (so "who saw this person's data" is one indexed query on the client id); a
//! refused access to case data writes a `read_denied` event. Data crossing organisations (a referral sent, a request asked) is recorded
//! as `transfer`, so that transfers can be listed without reading every status change.

use std::fmt;

crate::vocabulary! {
    /// Objektart im Protokoll (kind of object an audit event is about).
    pub enum AuditObject {
        /// Klient/in
        Client => "client",
        /// Fall
        Case => "case",
        /// Ziel (goal of a case)
        Goal => "goal",
        /// Kontakt (documented contact with the client)
        Contact => "contact",
        /// Einwilligung / Schweigepflichtentbindung
        Consent => "consent",
        /// Weitervermittlung (referral)
        Referral => "referral",
        /// Fallkonferenz (case conference)
        Conference => "conference",
        /// Aufenthaltsrechtliche Anfrage an Baustein 3 (residence-law request)
        ResidenceRequest => "residence_request",
        /// Meldung einer systematischen Lücke, soweit sie mit Fällen verknüpft ist (gap report)
        GapReport => "gap_report",
        /// Benutzerkonto (user account)
        User => "user",
        /// Das Protokoll selbst (removal of old events by the retention rule)
        AuditTrail => "audit_trail",
        /// Partner-Token
        PartnerToken => "partner_token",
        /// Zugriffsänderung, die eine zweite Person bestätigt (access change awaiting a second person)
        AccessChange => "access_change",
        /// Zuweisung einer Partnerorganisation an das Case Management (intake request)
        IntakeRequest => "intake_request",
        /// Kompetenzerfassung eines Klienten in einem Fall (clearing record)
        ClearingRecord => "clearing_record",
    }
}

impl AuditObject {
    /// Case data (Sozialdaten): the objects whose every read is audited.
    pub fn is_case_data(self) -> bool {
        !matches!(
            self,
            AuditObject::User
                | AuditObject::PartnerToken
                | AuditObject::AuditTrail
                | AuditObject::AccessChange
        )
    }
}

crate::vocabulary! {
    /// Was geschah (what was done to the object).
    pub enum AuditVerb {
        /// Angelegt
        Create => "create",
        /// Gelesen (one object)
        Read => "read",
        /// Liste gelesen (one event per person shown in a list)
        List => "list",
        /// Zugriff verweigert (404 or 403 on an object: recorded in its own transaction)
        ReadDenied => "read_denied",
        /// Geändert
        Update => "update",
        /// Gelöscht
        Delete => "delete",
        /// Status geändert (a move of a state machine)
        Transition => "transition",
        /// Neu zugewiesen (case assigned to another case manager or deputy)
        Reassign => "reassign",
        /// An eine andere Organisation übermittelt (data sent across organisations)
        Transfer => "transfer",
        /// Widerrufen (consent or token revoked)
        Revoke => "revoke",
        /// Ausgestellt (partner token issued)
        Issue => "issue",
        /// Passwort zurückgesetzt
        PasswordReset => "password_reset",
        /// Auskunft erteilt (data subject access, GDPR Art. 15)
        Export => "export",
        /// Gelöscht nach Art. 17 DSGVO oder Aufbewahrungsfrist (erased)
        Erase => "erase",
        /// Aufbewahrungssperre gesetzt (legal hold placed on a case)
        Hold => "hold",
        /// Aufbewahrungssperre aufgehoben (legal hold lifted)
        Release => "release",
        /// Bestätigt (an access change confirmed by a second person)
        Confirm => "confirm",
        /// Abgelehnt (an access change rejected by a second person)
        Reject => "reject",
    }
}

/// The action of an audit event: `object.verb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuditAction {
    pub object: AuditObject,
    pub verb: AuditVerb,
}

impl AuditAction {
    pub fn new(object: AuditObject, verb: AuditVerb) -> AuditAction {
        AuditAction { object, verb }
    }

    /// Parses `object.verb` as stored.
    pub fn parse(value: &str) -> Result<AuditAction, crate::UnknownValue> {
        let unknown = || crate::UnknownValue {
            value: value.to_owned(),
            expected: vec!["<object>.<verb>"],
        };
        let (object, verb) = value.split_once('.').ok_or_else(unknown)?;
        Ok(AuditAction {
            object: AuditObject::parse(object)?,
            verb: AuditVerb::parse(verb)?,
        })
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.object.as_str(), self.verb.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_for_every_object_and_verb() {
        for object in AuditObject::ALL {
            for verb in AuditVerb::ALL {
                let action = AuditAction::new(*object, *verb);
                assert_eq!(AuditAction::parse(&action.to_string()), Ok(action));
            }
        }
        assert_eq!(
            AuditAction::new(AuditObject::Referral, AuditVerb::Transfer).to_string(),
            "referral.transfer"
        );
    }

    /// The actions the store already writes keep their spelling.
    #[test]
    fn existing_actions_are_expressible() {
        for existing in [
            "user.create",
            "user.password_reset",
            "user.update",
            "user.delete",
            "partner_token.issue",
            "partner_token.revoke",
            "access_change.create",
            "access_change.confirm",
            "access_change.reject",
        ] {
            assert_eq!(
                AuditAction::parse(existing).map(|a| a.to_string()),
                Ok(existing.to_owned())
            );
        }
    }

    #[test]
    fn malformed_actions_are_refused() {
        for bad in [
            "case",
            "case.",
            ".read",
            "case.peek",
            "cases.read",
            "case.read.x",
        ] {
            assert!(AuditAction::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn accounts_tokens_and_the_trail_itself_are_not_case_data() {
        let case_data: Vec<_> = AuditObject::ALL
            .iter()
            .filter(|o| !o.is_case_data())
            .collect();
        assert_eq!(
            case_data,
            vec![
                &AuditObject::User,
                &AuditObject::AuditTrail,
                &AuditObject::PartnerToken,
                &AuditObject::AccessChange
            ]
        );
    }
}
