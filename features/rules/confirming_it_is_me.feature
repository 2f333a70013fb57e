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
    # The old phone, showing 'Continue on your new phone/tablet', says so too.
    When I take my old phone
    Then I am told 'The copy was blocked on your new phone/tablet'

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

  # The user ID must be this person's: another person's real user ID is as
  # wrong as a made-up one.
  @rule-user-id-of-this-person @rule-user-id @doc-20
  Scenario: Another person's user ID is refused, though it is a real one
    Given another person has an active MitID app
    And I have followed steps 1 to 19
    When I enter the other person's user ID and press "Next"
    Then I am told 'The user ID is not correct'
    And I do not receive a temporary PIN code via SMS

  # MitID's help page on the user ID: "Whether you use upper or lower case
  # does not make a difference."
  @rule-user-id-any-case @doc-20 @doc-21
  Scenario: My user ID in capital letters is still mine
    Given I have followed steps 1 to 19
    When I enter my user ID in capital letters and press "Next"
    And I enter the temporary PIN code that I receive via SMS
    Then I see 'Choose your personal PIN code'

  # Assumption (the help page does not say): 3 wrong user IDs block the
  # copy, and a block outlives the app: closing and opening it again does
  # not bring the question back.
  @rule-user-id-lockout @rule-user-id @rule-block-survives-restart @rule-copy-survives-restart @doc-20
  Scenario: After 3 wrong user IDs (an assumption) the copy is blocked, and closing the app does not lift the block
    Given I have followed steps 1 to 19
    When I enter a user ID that is not mine and press "Next"
    And I enter a user ID that is not mine and press "Next"
    Then I am told 'You have 1 attempt left'
    When I enter a user ID that is not mine and press "Next"
    Then I see 'The copy has been blocked'
    When I close the MitID app
    And I open the MitID app on my new phone
    Then I see 'The copy has been blocked'
    And I do not see 'Enter your user ID'

  @rule-temporary-pin-lockout @rule-temporary-pin @rule-block-survives-restart @rule-copy-survives-restart @doc-21
  Scenario: A copy blocked by wrong temporary PIN codes stays blocked when I close the MitID app and open it again
    Given I have followed steps 1 to 20
    When I enter 3 temporary PIN codes other than the one I receive via SMS
    Then I see 'The copy has been blocked'
    When I close the MitID app
    And I open the MitID app on my new phone
    Then I see 'The copy has been blocked'
    And I do not see 'Enter temporary PIN code'

  # Assumption (the help page does not say): the temporary PIN code is valid
  # for 15 minutes after it is sent, as the SMS tells its reader. Inside that
  # it is taken; at 15 minutes it is refused and the attempt must start again
  # from the old phone.
  @doc-21
  Scenario: A temporary PIN code entered 14 minutes and 59 seconds after it was sent is accepted
    Given I have followed steps 1 to 20
    And the SMS says that my temporary PIN code is valid for 15 minutes
    When 14 minutes and 59 seconds pass
    And I enter the temporary PIN code that I receive via SMS
    Then I see 'Choose your personal PIN code'

  @rule-temporary-pin-validity @rule-temporary-pin @doc-21
  Scenario: A temporary PIN code entered 15 minutes after it was sent (an assumption) is refused
    Given I have followed steps 1 to 20
    When 15 minutes pass
    And I enter the temporary PIN code that I receive via SMS
    Then I am told 'The temporary PIN code has expired'
    And I see 'The copy has been blocked'

  # "Start again from your old phone/tablet": a new QR code starts a new
  # attempt with a new temporary PIN code; the code of the blocked attempt
  # opens nothing.
  @rule-temporary-pin-this-attempt @rule-temporary-pin-lockout @rule-temporary-pin @doc-21
  Scenario: A temporary PIN code sent for an earlier attempt is refused
    Given I have followed steps 1 to 20
    And I keep the temporary PIN code that I receive via SMS
    When I enter 3 temporary PIN codes other than the one I receive via SMS
    Then I see 'The copy has been blocked'
    And I am told 'Start again from your old phone/tablet'
    When I press "OK"
    And I follow steps 8 to 20
    And I enter the temporary PIN code from the earlier attempt
    Then I am told 'The temporary PIN code is not correct'
    When I enter the temporary PIN code that I receive via SMS
    Then I see 'Choose your personal PIN code'

  # Assumption (the help page does not say): a personal PIN code has 6 digits.
  @rule-pin-length @doc-23
  Scenario Outline: A personal PIN code of <digits> digits is refused: it must have 6 (an assumption)
    Given I have followed steps 1 to 22
    When I create a personal PIN code of <digits> digits and press "Next"
    Then I am told 'Your PIN code must be 6 digits'
    And I see 'Create your PIN code'

    Examples:
      | digits |
      | 5      |
      | 7      |

  # Step 24: "Choose whether you want to approve with biometric". What I
  # choose is what the app then does when it asks me to approve (step 5 of
  # a later copy on it): biometric after yes, only the PIN code after no.
  @doc-24
  Scenario Outline: After I choose yes to approving with biometric, the app on my new phone approves with it (<system>)
    Given I have followed steps 1 to 23
    When I choose yes to approving with biometric
    And I accept notifications from the MitID app
    Then I see 'This app is now activated and ready to use' and press "OK"
    And the MitID app on my new phone approves with biometric

    @android-14
    Examples: Android phones
      | system  |
      | Android |

    @ios @new-face-id
    Examples: iPhones with Face ID
      | system       |
      | iOS, Face ID |

    @ios @new-touch-id
    Examples: iPhones with Touch ID
      | system        |
      | iOS, Touch ID |

  # Cancelling the biometric prompt after "yes" is not a choice made: the
  # app asks again, and "no" still activates it.
  @doc-24 @android-14
  Scenario: If I cancel the biometric prompt after choosing yes, I am asked again
    Given I have followed steps 1 to 23
    When I press "Yes"
    And I press "Cancel"
    Then I see 'Do you want to approve with fingerprint?'
    When I choose no to approving with biometric
    And I accept notifications from the MitID app
    Then I see 'This app is now activated and ready to use' and press "OK"

  @rule-biometric-choice @doc-24
  Scenario Outline: After I choose no to approving with biometric, the app on my new phone asks for my PIN code (<system>)
    Given I have followed steps 1 to 23
    When I choose no to approving with biometric
    And I accept notifications from the MitID app
    Then I see 'This app is now activated and ready to use' and press "OK"
    And the MitID app on my new phone asks for my PIN code, not biometric

    @android-14
    Examples: Android phones
      | system  |
      | Android |

    @ios
    Examples: iPhones
      | system |
      | iOS    |
