# Steps 20-23 on my new phone: my user ID, the temporary PIN code by SMS and
# my personal PIN code. Release gates for each (@rule-…).
@rules
Feature: My new phone makes sure that it is me
  Enter your user ID to confirm your identity. Enter a temporary PIN code
  that you receive via SMS. Create your personal PIN code, repeat the PIN
  code.

  Background: Before you begin
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones

  @rule-user-id @doc-20 @doc-21
  Scenario: A user ID that is not mine is refused, and no temporary PIN code is sent
    Given I have followed steps 1 to 19
    When I enter a user ID that is not mine and press "Next"
    Then I am told 'The user ID is not correct'
    And I do not receive a temporary PIN code via SMS
    When I enter my user ID to confirm my identity and press "Next"
    And I enter the temporary PIN code that I receive via SMS
    Then I see 'Choose your personal PIN code'

  @rule-temporary-pin @doc-21
  Scenario: A temporary PIN code other than the one I receive via SMS is refused
    Given I have followed steps 1 to 20
    When I enter a temporary PIN code other than the one I receive via SMS
    Then I am told 'The temporary PIN code is not correct'
    When I enter the temporary PIN code that I receive via SMS
    Then I see 'Choose your personal PIN code'

  # Assumption (the help page does not say): 3 wrong temporary PIN codes
  # block the copy. A build that takes any temporary PIN fails this too.
  @rule-temporary-pin-lockout @rule-temporary-pin @doc-21
  Scenario: After 3 wrong temporary PIN codes (an assumption) the copy is blocked
    Given I have followed steps 1 to 20
    When I enter 2 temporary PIN codes other than the one I receive via SMS
    Then I see 'Enter temporary PIN code'
    When I enter a temporary PIN code other than the one I receive via SMS
    Then I see 'The copy has been blocked'
    And I am told 'Start again from your old phone/tablet'

  @rule-pin-repeat @doc-22 @doc-23
  Scenario: A personal PIN code and a different repeat are refused
    Given I have followed steps 1 to 22
    When I create my personal PIN code, press "Next", repeat a different PIN code and press "Next"
    Then I am told 'The PIN codes do not match'
    And I see 'Create your PIN code'
    When I create my personal PIN code, press "Next", repeat it and press "Next"
    And I choose no to approving with biometric
    And I accept notifications from the MitID app
    Then I see 'This app is now activated and ready to use' and press "OK"
