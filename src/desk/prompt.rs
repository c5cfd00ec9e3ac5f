//! Asking the person at the keyboard for secrets: on a terminal without echo, otherwise one
//! line of standard input per secret, in a documented order (scripts and tests).
//!
//! `commands::read_passphrase` does one secret the same way; the desk asks for several in
//! a row and must tell an empty answer from standard input that ran out, so it has its own.

use std::io::{BufRead, IsTerminal};

use anyhow::bail;
use zeroize::Zeroizing;

// The server's rule, checked here too so that a short password fails before any request.
use crate::crypto::MIN_PASSWORD_CHARS;

pub struct Prompter {
    terminal: bool,
}

impl Prompter {
    pub fn new() -> Self {
        Prompter {
            terminal: std::io::stdin().is_terminal(),
        }
    }

    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// One secret. `what` names it in the error when standard input ends early.
    pub fn secret(&self, prompt: &str, what: &str) -> anyhow::Result<Zeroizing<String>> {
        if self.terminal {
            let answer = Zeroizing::new(rpassword::prompt_password(prompt)?);
            return Ok(answer);
        }
        let mut line = Zeroizing::new(String::new());
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            bail!("standard input ended before the {what}; give one line per secret");
        }
        Ok(Zeroizing::new(
            line.trim_end_matches(['\r', '\n']).to_owned(),
        ))
    }

    /// A new password: long enough, and typed twice on a terminal.
    pub fn new_password(&self) -> anyhow::Result<Zeroizing<String>> {
        let password = self.secret(
            &format!("New password (at least {MIN_PASSWORD_CHARS} characters): "),
            "new password",
        )?;
        if password.chars().count() < MIN_PASSWORD_CHARS {
            bail!(
                "the password must have at least {MIN_PASSWORD_CHARS} characters; run the command again"
            );
        }
        if self.terminal {
            let again = self.secret("The same password again: ", "repeated password")?;
            if again != password {
                bail!("the two passwords differ; run the command again");
            }
        }
        Ok(password)
    }

    /// A 6-digit code from the authenticator app; spaces are allowed ("123 456").
    pub fn totp_code(&self, prompt: &str) -> anyhow::Result<Zeroizing<String>> {
        let typed = self.secret(prompt, "authenticator code")?;
        let code: Zeroizing<String> =
            Zeroizing::new(typed.chars().filter(|c| !c.is_whitespace()).collect());
        if !is_totp_code(&code) {
            bail!("an authenticator code is 6 digits; run the command again with the current one");
        }
        Ok(code)
    }
}

fn is_totp_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_six_digits() {
        assert!(super::is_totp_code("012345"));
        assert!(!super::is_totp_code("12345"));
        assert!(!super::is_totp_code("12345a"));
        assert!(!super::is_totp_code("1234567"));
    }
}
