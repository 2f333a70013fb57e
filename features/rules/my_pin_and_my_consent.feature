# Steps 5, 6 and 9 on my old phone: my PIN code before the copy starts and
# before the QR code is shown, and my consent to the copy. Release gates for
# each (@rule-…).
@rules
Feature: My old phone asks for my PIN code and my consent
  Enter your PIN code or use biometric. As a security measure, you need to
  wait for 1 hour before you can copy your MitID app. Check Yes, I want to
  copy and press Start copying. After 1 hour: press Show QR code and enter
  your PIN code.

  Background: Before you begin
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones

  @rule-personal-pin @doc-5
  Scenario: A PIN code that is not mine is refused before the copy starts
    Given I have followed steps 1 to 4
    When I enter a PIN code that is not mine
    Then I am told 'The PIN code is not correct'
    And I see 'Enter your PIN code'
    When I enter my PIN code
    Then I see 'Yes, I want to copy'

  @rule-personal-pin @doc-9
  Scenario: A PIN code that is not mine is refused before the QR code is shown
    Given I have followed steps 1 to 8
    When I enter a PIN code that is not mine
    Then I am told 'The PIN code is not correct'
    And I see 'Enter your PIN code'
    When I enter my PIN code
    Then I am told 'access is required'

  # The help page says to check "Yes, I want to copy" and press "Start
  # copying"; leaving the screen without doing so must start nothing.
  @rule-copy-consent @doc-6
  Scenario: If I leave without checking "Yes, I want to copy", no copy is started
    Given I have followed steps 1 to 5
    When I press "Cancel"
    And 1 hour passes
    Then I have not received a notification from the app that the waiting time is over
    And I do not see 'Show QR code and copy MitID to the new app'
